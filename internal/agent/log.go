package agent

import (
	"io"
	"log/slog"
	"strings"
)

// LevelTrace is below debug, for Nomad's "trace" log level.
const LevelTrace = slog.LevelDebug - 4

// NewLogger returns the agent's logger: text, or JSON lines with asJSON, to
// w (stderr), at level ("trace", "debug", "info", "warn", "error"). It never
// needs a terminal: no colours, no cursor control, one record per line.
func NewLogger(w io.Writer, level string, asJSON bool) *slog.Logger {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "trace":
		lv = LevelTrace
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
