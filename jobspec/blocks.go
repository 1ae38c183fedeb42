package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/drover-sh/drover"
)

// This file declares the root of the job file's schema. The blocks below
// the job are in blocks_job.go (job and its policies), blocks_group.go,
// blocks_task.go, blocks_service.go and blocks_placement.go (constraint,
// affinity, spread). To support a new block, add its spec there and move
// its name out of the notYet lists.

// rootTarget collects what the file's top level declares.
type rootTarget struct {
	jobs []*drover.Job
}

var rootSpec = &blockSpec{
	attrs: map[string]attrFunc{},
	blocks: map[string]blockRule{
		"job": many(nested([]string{"id"}, jobSpec, openJob, finishJob)),
		// Decoded before the job, by the language pass (parse.go), which
		// gives their values to the job's expressions.
		"variable":  many(languageBlock),
		"variables": many(languageBlock),
		"locals":    many(languageBlock),
	},
}

// languageBlock skips a block the language pass (parse.go) decodes.
func languageBlock(*decoder, any, *hclsyntax.Block) {}

func openJob(d *decoder, root *rootTarget, b *hclsyntax.Block) (*drover.Job, bool) {
	if len(root.jobs) > 0 {
		d.errorf(b.TypeRange, "Duplicate job block", "A job file holds exactly one job; job %q was already defined at line %d.",
			root.jobs[0].ID, d.names[root]["job"].Start.Line)
		return nil, false
	}
	j := &drover.Job{ID: b.Labels[0]}
	d.claimName(root, "job", b.TypeRange)
	root.jobs = append(root.jobs, j)
	d.job = j
	return j, true
}

func finishJob(d *decoder, j *drover.Job, b *hclsyntax.Block) {
	if len(j.TaskGroups) == 0 {
		d.errorf(b.TypeRange, "Missing group block", "Job %q has no group: a job needs at least one group block.", j.ID)
	}
	d.completeRestarts(j)
}

// claimName records that parent has a child called name, defined at rng. If
// the name was already taken it returns where, and true. parent is any
// value that stands for one namespace of names (a job's groups, a group's
// tasks, the address of a group's Volumes for its volumes, ...).
func (d *decoder) claimName(parent any, name string, rng hcl.Range) (hcl.Range, bool) {
	names := d.names[parent]
	if names == nil {
		names = map[string]hcl.Range{}
		d.names[parent] = names
	}
	if prev, ok := names[name]; ok {
		return prev, true
	}
	names[name] = rng
	return rng, false
}

// appendTo returns the open function of a block with no label that
// becomes a new element of a list of its parent; init, when not nil,
// gives the element the values that mean "left out".
func appendTo[P, C any](field func(P) *[]*C, init func(*C)) func(*decoder, P, *hclsyntax.Block) (*C, bool) {
	return func(_ *decoder, p P, _ *hclsyntax.Block) (*C, bool) {
		c := new(C)
		if init != nil {
			init(c)
		}
		*field(p) = append(*field(p), c)
		return c, true
	}
}

// setTo returns the open function of a block that may appear once and
// fills a pointer field of its parent; init is as for appendTo.
func setTo[P, C any](field func(P) **C, init func(*C)) func(*decoder, P, *hclsyntax.Block) (*C, bool) {
	return func(_ *decoder, p P, _ *hclsyntax.Block) (*C, bool) {
		c := new(C)
		if init != nil {
			init(c)
		}
		*field(p) = c
		return c, true
	}
}
