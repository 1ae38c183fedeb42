package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// SchedulerConfig returns the operator's scheduler configuration, or
// drover.DefaultSchedulerConfiguration (with zero indexes) when none was
// ever set. The returned object is shared: copy before changing it.
func (r *reader) SchedulerConfig(ws memdb.WatchSet) (*drover.SchedulerConfiguration, error) {
	obj, err := first(r.db.Txn(false), ws, TableSchedulerConfig, "id")
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return drover.DefaultSchedulerConfiguration(), nil
	}
	return obj.(*drover.SchedulerConfiguration), nil
}

// SetSchedulerConfig stores cfg at index. With cas it is stored only if the
// current configuration's ModifyIndex equals cfg.ModifyIndex (0 when none
// was ever set); a mismatch is drover.ErrConflict and changes nothing.
func (s *StateStore) SetSchedulerConfig(index uint64, cfg *drover.SchedulerConfiguration, cas bool) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	return s.write(func(txn *memdb.Txn) error {
		raw, err := txn.First(TableSchedulerConfig, "id")
		if err != nil {
			return fmt.Errorf("state: read scheduler config: %w", err)
		}
		c := *cfg
		c.CreateIndex = index
		var current uint64
		if raw != nil {
			old := raw.(*drover.SchedulerConfiguration)
			current, c.CreateIndex = old.ModifyIndex, old.CreateIndex
		}
		if cas && cfg.ModifyIndex != current {
			return drover.Errorf(drover.ErrConflict, "scheduler configuration: check-and-set index %d does not match the current index %d", cfg.ModifyIndex, current)
		}
		if c.SchedulerAlgorithm == "" {
			c.SchedulerAlgorithm = drover.SchedulerAlgorithmBinpack
		}
		c.ModifyIndex = index
		if err := txn.Insert(TableSchedulerConfig, &c); err != nil {
			return fmt.Errorf("state: set scheduler config: %w", err)
		}
		return setIndexTxn(txn, index, TableSchedulerConfig)
	})
}
