package api

import "github.com/drover-sh/drover"

// Agent reads the agent the client talks to.
type Agent struct{ c *Client }

// Agent returns the agent endpoints.
func (c *Client) Agent() *Agent { return &Agent{c: c} }

// AgentSelf describes an agent, as /v1/agent/self answers.
type AgentSelf struct {
	Config map[string]any               `json:"config"`
	Member AgentMember                  `json:"member"`
	Stats  map[string]map[string]string `json:"stats"`
}

// AgentMember describes the agent as a cluster member.
type AgentMember struct {
	Name string
	Addr string
	Port int
	Tags map[string]string
}

// Self describes the agent.
func (a *Agent) Self() (*AgentSelf, error) {
	var out AgentSelf
	if _, err := a.c.query("/v1/agent/self", nil, nil, &out); err != nil {
		return nil, err
	}
	drover.NormalizeNumbers(out.Config)
	return &out, nil
}

// Status reads the cluster's status.
type Status struct{ c *Client }

// Status returns the status endpoints.
func (c *Client) Status() *Status { return &Status{c: c} }

// Leader returns the RPC address ("host:4647") of the cluster's leader, or
// "" when there is none.
func (s *Status) Leader() (string, error) {
	var out string
	if _, err := s.c.query("/v1/status/leader", nil, nil, &out); err != nil {
		return "", err
	}
	return out, nil
}
