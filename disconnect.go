package drover

import "time"

// StopOnClientAfter is how long an allocation of tg keeps running on a
// client that has lost contact with every server: disconnect {
// stop_on_client_after }, or the older stop_after_client_disconnect when
// the block does not set it. ok is false when neither is set, or the value
// is zero.
func (tg *TaskGroup) StopOnClientAfter() (after time.Duration, ok bool) {
	if tg == nil {
		return 0, false
	}
	d := tg.StopAfterClientDisconnect
	if tg.Disconnect != nil && tg.Disconnect.StopOnClientAfter != nil {
		d = tg.Disconnect.StopOnClientAfter
	}
	if d == nil || *d <= 0 {
		return 0, false
	}
	return *d, true
}
