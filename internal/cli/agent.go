package cli

import (
	"context"
	"fmt"
)

// agentCommand runs `drover agent`.
func agentCommand(ctx context.Context, env *Env, args []string) int {
	fmt.Fprintln(env.Stderr, "drover agent: not built yet")
	return 1
}
