package cli

import (
	"bytes"
	"fmt"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

// The resolvers below turn an ID or unique ID prefix into a full ID: an
// exact match wins, a single match is taken, several matches are an error
// that lists them (like Nomad's "Prefix matched multiple ..."), and none is
// a not-found error.

// resolveJob resolves a job ID prefix.
func resolveJob(c *api.Client, prefix string) (string, error) {
	jobs, _, err := c.Jobs().List(&api.QueryOptions{Prefix: prefix})
	if err != nil {
		return "", fmt.Errorf("looking up job %q: %w", prefix, err)
	}
	i := pick(len(jobs), func(i int) string { return jobs[i].ID }, prefix)
	switch i {
	case -1:
		return "", drover.Errorf(drover.ErrNotFound, "no job with prefix or ID %q found", prefix)
	case -2:
		var b bytes.Buffer
		writeJobList(&b, jobs)
		return "", fmt.Errorf("prefix matched multiple jobs\n\n%s", b.String())
	}
	return jobs[i].ID, nil
}

// resolveAlloc resolves an allocation ID prefix.
func resolveAlloc(c *api.Client, now time.Time, prefix string) (string, error) {
	allocs, _, err := c.Allocations().List(&api.QueryOptions{Prefix: prefix})
	if err != nil {
		return "", fmt.Errorf("looking up allocation %q: %w", prefix, err)
	}
	i := pick(len(allocs), func(i int) string { return allocs[i].ID }, prefix)
	switch i {
	case -1:
		return "", drover.Errorf(drover.ErrNotFound, "no allocation with prefix or ID %q found", prefix)
	case -2:
		var b bytes.Buffer
		writeTable(&b, allocStubHeader, allocStubRows(now, allocs))
		return "", fmt.Errorf("prefix matched multiple allocations\n\n%s", b.String())
	}
	return allocs[i].ID, nil
}

// resolveEval resolves an evaluation ID prefix.
func resolveEval(c *api.Client, prefix string) (string, error) {
	evals, _, err := c.Evaluations().List(&api.QueryOptions{Prefix: prefix})
	if err != nil {
		return "", fmt.Errorf("looking up evaluation %q: %w", prefix, err)
	}
	i := pick(len(evals), func(i int) string { return evals[i].ID }, prefix)
	switch i {
	case -1:
		return "", drover.Errorf(drover.ErrNotFound, "no evaluation with prefix or ID %q found", prefix)
	case -2:
		var b bytes.Buffer
		writeEvalList(&b, evals)
		return "", fmt.Errorf("prefix matched multiple evaluations\n\n%s", b.String())
	}
	return evals[i].ID, nil
}

// resolveNode resolves a node ID prefix.
func resolveNode(c *api.Client, prefix string) (string, error) {
	nodes, _, err := c.Nodes().List(&api.QueryOptions{Prefix: prefix})
	if err != nil {
		return "", fmt.Errorf("looking up node %q: %w", prefix, err)
	}
	i := pick(len(nodes), func(i int) string { return nodes[i].ID }, prefix)
	switch i {
	case -1:
		return "", drover.Errorf(drover.ErrNotFound, "no node with prefix or ID %q found", prefix)
	case -2:
		var b bytes.Buffer
		writeNodeList(&b, nodes)
		return "", fmt.Errorf("prefix matched multiple nodes\n\n%s", b.String())
	}
	return nodes[i].ID, nil
}

// pick chooses among n matches of prefix: the index of the exact match or
// of the only match, -1 for no match, -2 for several.
func pick(n int, id func(int) string, prefix string) int {
	for i := range n {
		if id(i) == prefix {
			return i
		}
	}
	switch n {
	case 0:
		return -1
	case 1:
		return 0
	}
	return -2
}
