// Command drover is the drover binary: agent and command line in one.
// Everything it does lives in internal/cli; main only wires the process's
// arguments, environment, standard streams and signals to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // periodic time zones must load on machines without a zoneinfo database

	"github.com/drover-sh/drover/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.RunEnv(ctx, os.Args, &cli.Env{
		Getenv: os.Getenv, Environ: os.Environ,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	})
	stop()
	os.Exit(code)
}
