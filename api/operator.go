package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/drover-sh/drover"
)

// Operator holds the cluster-wide operator endpoints.
type Operator struct{ c *Client }

// Operator returns the operator endpoints.
func (c *Client) Operator() *Operator { return &Operator{c: c} }

// SchedulerGetConfiguration reads the scheduler configuration in force
// (the default, with zero indexes, when none was ever set).
func (o *Operator) SchedulerGetConfiguration(q *QueryOptions) (*drover.SchedulerConfigurationResponse, *QueryMeta, error) {
	var out drover.SchedulerConfigurationResponse
	qm, err := o.c.query("/v1/operator/scheduler/configuration", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// SchedulerSetConfiguration writes the whole scheduler configuration.
func (o *Operator) SchedulerSetConfiguration(cfg *drover.SchedulerConfiguration) (*drover.SchedulerSetConfigurationResponse, *WriteMeta, error) {
	return o.setConfig(cfg, nil)
}

// SchedulerCASConfiguration writes the configuration only if the stored one
// is still at cfg.ModifyIndex (0: never set); Updated in the answer says
// whether it was written.
func (o *Operator) SchedulerCASConfiguration(cfg *drover.SchedulerConfiguration) (*drover.SchedulerSetConfigurationResponse, *WriteMeta, error) {
	return o.setConfig(cfg, url.Values{"cas": {strconv.FormatUint(cfg.ModifyIndex, 10)}})
}

func (o *Operator) setConfig(cfg *drover.SchedulerConfiguration, params url.Values) (*drover.SchedulerSetConfigurationResponse, *WriteMeta, error) {
	var out drover.SchedulerSetConfigurationResponse
	wm, err := o.c.write(http.MethodPut, "/v1/operator/scheduler/configuration", params, cfg, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}
