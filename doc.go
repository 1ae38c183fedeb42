// Package drover holds the domain of the drover cluster: jobs, task groups,
// tasks, nodes, allocations, evaluations and plans, the messages servers and
// clients exchange, and the rules that make each of them valid.
//
// The package imports nothing else of drover's. Every other package speaks in
// these types; JSON field names follow Nomad's HTTP API so that its tools and
// clients decode them unchanged.
package drover
