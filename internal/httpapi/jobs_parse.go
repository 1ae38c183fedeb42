package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/jobspec"
)

// jobParseBody is the body of PUT /v1/jobs/parse, as Nomad's: the job
// file's text, whether to fill in defaults, and the text of a variables
// file (HCL name = value lines).
type jobParseBody struct {
	JobHCL       string
	Canonicalize bool
	Variables    string
}

// parseFilename names the job text in parse errors ("job.hcl:3:5: ...").
const parseFilename = "job.hcl"

// varsFilename names the Variables text in parse errors.
const varsFilename = "variables.hcl"

// handleJobParse turns a job file's text into the job's JSON. The text has
// no directory: file() is refused, and the agent's environment is never
// read for variables. A file that does not parse is a 400 with every
// problem, each as file:line:col.
func handleJobParse(region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body jobParseBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
		if strings.TrimSpace(body.JobHCL) == "" {
			writeError(w, drover.Errorf(drover.ErrInvalid, "JobHCL must be specified in the request body"))
			return
		}
		job, err := parseJobHCL(body.JobHCL, body.Variables)
		if err != nil {
			writeError(w, err)
			return
		}
		if body.Canonicalize {
			job.Canonicalize()
		}
		writeJSON(w, http.StatusOK, job)
	})
}

// parseJobHCL parses src with the variable values of the variables file
// text vars (may be empty). The variables are handed to the parser as a
// -var-file in a private temporary directory, removed on return; errors name
// it varsFilename.
func parseJobHCL(src, vars string) (*drover.Job, error) {
	var opts jobspec.Options
	tmp := ""
	if strings.TrimSpace(vars) != "" {
		dir, err := os.MkdirTemp("", "drover-parse-")
		if err != nil {
			return nil, fmt.Errorf("parse job: variables: %w", err)
		}
		defer os.RemoveAll(dir)
		tmp = filepath.Join(dir, varsFilename)
		if err := os.WriteFile(tmp, []byte(vars), 0o600); err != nil {
			return nil, fmt.Errorf("parse job: variables: %w", err)
		}
		opts.VarFiles = []string{tmp}
	}
	res, err := jobspec.ParseWithOptions(parseFilename, []byte(src), opts)
	if err != nil {
		if tmp == "" || !errors.Is(err, drover.ErrInvalid) {
			return nil, err
		}
		return nil, drover.Errorf(drover.ErrInvalid, "%s", strings.ReplaceAll(err.Error(), tmp, varsFilename))
	}
	return res.Job, nil
}
