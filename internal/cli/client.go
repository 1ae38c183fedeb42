package cli

import (
	"flag"
	"fmt"

	"github.com/drover-sh/drover/api"
)

// apiFlags are the flags of every command that talks to an agent.
type apiFlags struct {
	env       *Env
	address   string
	token     string
	region    string
	namespace string
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
	// Nomad's general options, so that its command lines run unchanged.
	fs.StringVar(&f.region, "region", "",
		"The `region` to send the request to. Defaults to $DROVER_REGION, then $NOMAD_REGION. drover does not federate regions: an agent answers for its own region and refuses others.")
	fs.StringVar(&f.namespace, "namespace", "",
		"The `namespace` of the request. Defaults to $DROVER_NAMESPACE, then $NOMAD_NAMESPACE, then \"default\".")
	fs.Bool("no-color", false, "Accepted for Nomad's command lines; drover prints no colour.")
	fs.Bool("force-color", false, "Accepted for Nomad's command lines; drover prints no colour.")
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
	if f.region != "" {
		cfg.Region = f.region
	}
	if f.namespace != "" {
		cfg.Namespace = f.namespace
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating API client for %s: %w", address, err)
	}
	return c, nil
}
