package cli

import (
	"flag"
	"fmt"

	"github.com/drover-sh/drover/api"
)

// apiFlags are the flags of every command that talks to an agent.
type apiFlags struct {
	env     *Env
	address string
	token   string
}

// addAPIFlags declares -address and -token on fs. The default address comes
// from the environment (api.DefaultConfig); the token's default is not
// printed in help because it is a secret.
func addAPIFlags(fs *flag.FlagSet, env *Env) *apiFlags {
	f := &apiFlags{env: env}
	def := api.DefaultConfig(env.Getenv)
	fs.StringVar(&f.address, "address", def.Address,
		"The `address` of a drover agent's HTTP API. The default comes from $DROVER_ADDR, else $NOMAD_ADDR, else is http://127.0.0.1:4646.")
	fs.StringVar(&f.token, "token", "",
		"The ACL `token` to send. Defaults to $DROVER_TOKEN, then $NOMAD_TOKEN.")
	return f
}

// client returns an api client for the flags' agent.
func (f *apiFlags) client() (*api.Client, error) { return f.clientAt(f.address) }

// clientAt returns an api client for the agent at address, with the flags'
// token.
func (f *apiFlags) clientAt(address string) (*api.Client, error) {
	cfg := api.DefaultConfig(f.env.Getenv)
	cfg.Address = address
	if f.token != "" {
		cfg.Token = f.token
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating API client for %s: %w", address, err)
	}
	return c, nil
}
