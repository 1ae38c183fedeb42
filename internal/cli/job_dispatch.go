package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	drover "github.com/drover-sh/drover"
)

func jobDispatchCommand() *command {
	return &command{
		name:     "job dispatch",
		args:     "[options] <parameterized job> [<input file> | -]",
		synopsis: "Dispatch an instance of a parameterized job",
		help: `Creates a child job of a parameterized job (one with a "parameterized" block) with a payload and meta, and monitors the evaluation that schedules it, as job run does. The payload is read from the input file, or from stdin when it is "-"; its tasks find it at their dispatch_payload file. It may be at most 16 KiB. The job's "parameterized" block says whether a payload is required, optional or forbidden, and which meta keys must (meta_required) and may (meta_optional) be given.

The child's ID is "<job>/dispatch-<unix time>-<8 hex digits>", with the -id-prefix-template value after "dispatch-" when given. "drover job status <job>" lists a job's dispatched children.

Exit codes: 0 when every allocation was placed (or with -detach, when the job was dispatched); 1 on errors; 2 on misuse, and when the scheduler could not place every allocation.`,
		example: `drover job dispatch -meta color=red video-encode input.mp4.json
echo hello | drover job dispatch -detach greeter -
drover job dispatch -id-prefix-template nightly report`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			var o jobDispatchOptions
			o.meta = map[string]string{}
			fs.Func("meta", "Meta key and value as `key=value`; repeat it for several keys.", func(s string) error {
				k, v, ok := strings.Cut(s, "=")
				if !ok || k == "" {
					return fmt.Errorf("%q is not key=value", s)
				}
				o.meta[k] = v
				return nil
			})
			fs.BoolVar(&o.detach, "detach", false, "Return right after dispatching, printing the dispatched job and evaluation IDs.")
			fs.StringVar(&o.idPrefix, "id-prefix-template", "", "Put `prefix` in the dispatched job's ID, after \"dispatch-\".")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) < 1 || len(args) > 2 {
					return usagef("job dispatch takes the job ID and, optionally, an input file or - for stdin")
				}
				if len(args) == 2 {
					payload, err := readPayload(env, args[1])
					if err != nil {
						return err
					}
					o.payload = payload
				}
				return jobDispatch(ctx, env, af, args[0], o)
			}
		},
	}
}

// jobDispatchOptions are job dispatch's flags and input.
type jobDispatchOptions struct {
	meta     map[string]string
	detach   bool
	idPrefix string
	payload  []byte
}

// readPayload reads the dispatch payload from path ("-": stdin), refusing
// one larger than the servers accept before sending it.
func readPayload(env *Env, path string) ([]byte, error) {
	var r io.Reader = env.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading the payload: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, drover.DispatchPayloadSizeLimit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the payload from %s: %w", path, err)
	}
	if len(b) > drover.DispatchPayloadSizeLimit {
		return nil, fmt.Errorf("the payload from %s is larger than the maximum of %d bytes", path, drover.DispatchPayloadSizeLimit)
	}
	return b, nil
}

func jobDispatch(ctx context.Context, env *Env, af *apiFlags, jobID string, o jobDispatchOptions) error {
	c, err := af.client()
	if err != nil {
		return err
	}
	resp, _, err := c.Jobs().Dispatch(jobID, o.meta, o.payload, o.idPrefix)
	if err != nil {
		return fmt.Errorf("dispatching job %q: %w", jobID, err)
	}
	pairs := []kv{{"Dispatched Job ID", resp.DispatchedJobID}}
	if resp.EvalID != "" {
		pairs = append(pairs, kv{"Evaluation ID", short(resp.EvalID)})
	}
	writeKV(env.Stdout, pairs)
	if o.detach || resp.EvalID == "" {
		return nil
	}
	fmt.Fprintln(env.Stdout)
	return monitorEval(ctx, env, c, resp.EvalID,
		fmt.Sprintf("job %q keeps running; see it with: drover job status %s", resp.DispatchedJobID, resp.DispatchedJobID))
}
