package httpapi

import "net/http"

// addRoutes lists the whole HTTP API. Paths and shapes are Nomad's.
func addRoutes(mux *http.ServeMux, cfg Config) {
	rpc, region, log := cfg.RPC, cfg.Region, cfg.Logger

	// Jobs.
	mux.Handle("GET /v1/jobs", handleJobList(rpc, region))
	mux.Handle("PUT /v1/jobs", handleJobRegister(rpc, region))
	mux.Handle("POST /v1/jobs", handleJobRegister(rpc, region))
	mux.Handle("GET /v1/job/{id}", handleJobGet(rpc, region))
	mux.Handle("PUT /v1/job/{id}", handleJobRegister(rpc, region))
	mux.Handle("POST /v1/job/{id}", handleJobRegister(rpc, region))
	mux.Handle("DELETE /v1/job/{id}", handleJobDeregister(rpc, region))
	mux.Handle("GET /v1/job/{id}/allocations", handleJobAllocations(rpc, region))
	mux.Handle("GET /v1/job/{id}/evaluations", handleJobEvaluations(rpc, region))
	mux.Handle("GET /v1/job/{id}/summary", handleJobSummary(rpc, region))
	mux.Handle("PUT /v1/job/{id}/plan", handleJobPlan(rpc, region))
	mux.Handle("POST /v1/job/{id}/plan", handleJobPlan(rpc, region))
	mux.Handle("GET /v1/job/{id}/versions", handleJobVersions(rpc, region))
	mux.Handle("PUT /v1/job/{id}/revert", handleJobRevert(rpc, region))
	mux.Handle("POST /v1/job/{id}/revert", handleJobRevert(rpc, region))
	mux.Handle("PUT /v1/job/{id}/dispatch", handleJobDispatch(rpc, region))
	mux.Handle("POST /v1/job/{id}/dispatch", handleJobDispatch(rpc, region))
	mux.Handle("PUT /v1/job/{id}/periodic/force", handleJobPeriodicForce(rpc, region))
	mux.Handle("POST /v1/job/{id}/periodic/force", handleJobPeriodicForce(rpc, region))
	mux.Handle("PUT /v1/jobs/parse", handleJobParse(region))
	mux.Handle("POST /v1/jobs/parse", handleJobParse(region))
	mux.Handle("PUT /v1/validate/job", handleJobValidate(rpc, region))
	mux.Handle("POST /v1/validate/job", handleJobValidate(rpc, region))
	mux.Handle("GET /v1/job/{id}/scale", handleJobScaleStatus(rpc, region))
	mux.Handle("PUT /v1/job/{id}/scale", handleJobScale(rpc, region))
	mux.Handle("POST /v1/job/{id}/scale", handleJobScale(rpc, region))
	mux.Handle("GET /v1/job/{id}/deployments", handleJobDeployments())
	mux.Handle("GET /v1/job/{id}/deployment", handleJobDeployments())

	// Allocations.
	mux.Handle("GET /v1/allocations", handleAllocList(rpc, region))
	mux.Handle("GET /v1/allocation/{id}", handleAllocGet(rpc, region))
	mux.Handle("PUT /v1/allocation/{id}/stop", handleAllocStop(rpc, region))
	mux.Handle("POST /v1/allocation/{id}/stop", handleAllocStop(rpc, region))

	// Evaluations.
	mux.Handle("GET /v1/evaluations", handleEvalList(rpc, region))
	mux.Handle("GET /v1/evaluation/{id}", handleEvalGet(rpc, region))
	mux.Handle("GET /v1/evaluation/{id}/allocations", handleEvalAllocations(rpc, region))

	// Deployments: not supported yet; every path says so (deployments.go).
	mux.Handle("GET /v1/deployments", handleDeploymentsUnsupported(region))
	mux.Handle("GET /v1/deployment/{id}", handleDeploymentsUnsupported(region))
	mux.Handle("GET /v1/deployment/allocations/{id}", handleDeploymentsUnsupported(region))
	for _, action := range []string{"fail", "pause", "promote", "unblock", "allocation-health"} {
		mux.Handle("PUT /v1/deployment/"+action+"/{id}", handleDeploymentsUnsupported(region))
		mux.Handle("POST /v1/deployment/"+action+"/{id}", handleDeploymentsUnsupported(region))
	}

	// Nodes.
	mux.Handle("GET /v1/nodes", handleNodeList(rpc, region))
	mux.Handle("GET /v1/node/{id}", handleNodeGet(rpc, region))
	mux.Handle("GET /v1/node/{id}/allocations", handleNodeAllocations(rpc, region))
	mux.Handle("PUT /v1/node/{id}/drain", handleNodeDrain(rpc, region))
	mux.Handle("POST /v1/node/{id}/drain", handleNodeDrain(rpc, region))
	mux.Handle("PUT /v1/node/{id}/eligibility", handleNodeEligibility(rpc, region))
	mux.Handle("POST /v1/node/{id}/eligibility", handleNodeEligibility(rpc, region))

	// Operator.
	mux.Handle("GET /v1/operator/scheduler/configuration", handleSchedulerConfigGet(rpc, region))
	mux.Handle("PUT /v1/operator/scheduler/configuration", handleSchedulerConfigSet(rpc, region))
	mux.Handle("POST /v1/operator/scheduler/configuration", handleSchedulerConfigSet(rpc, region))
	mux.Handle("GET /v1/operator/raft/configuration", handleRaftConfiguration(rpc, region))

	// Client-local: task logs.
	mux.Handle("GET /v1/client/fs/logs/{alloc}", handleAllocLogs(rpc, cfg.Client, region, log))
	mux.Handle("GET /v1/client/allocation/{id}/stats", handleAllocStats(rpc, cfg.Client, region))

	// Client-local: allocation controls, forwarded to the node that runs
	// the allocation.
	mux.Handle("PUT /v1/client/allocation/{alloc}/restart", handleAllocRestart(rpc, cfg.Client, region))
	mux.Handle("POST /v1/client/allocation/{alloc}/restart", handleAllocRestart(rpc, cfg.Client, region))
	mux.Handle("PUT /v1/client/allocation/{alloc}/signal", handleAllocSignal(rpc, cfg.Client, region))
	mux.Handle("POST /v1/client/allocation/{alloc}/signal", handleAllocSignal(rpc, cfg.Client, region))
	mux.Handle("GET /v1/client/allocation/{alloc}/exec", handleAllocExec(rpc, cfg.Client, region, log))

	// Client-local: allocation files and garbage collection.
	mux.Handle("GET /v1/client/fs/ls/{alloc}", handleFSList(rpc, cfg.Client, region))
	mux.Handle("GET /v1/client/fs/stat/{alloc}", handleFSStat(rpc, cfg.Client, region))
	mux.Handle("GET /v1/client/fs/cat/{alloc}", handleFSCat(rpc, cfg.Client, region, log))
	mux.Handle("GET /v1/client/fs/readat/{alloc}", handleFSReadAt(rpc, cfg.Client, region, log))
	mux.Handle("GET /v1/client/fs/stream/{alloc}", handleFSStream(rpc, cfg.Client, region, log))
	mux.Handle("GET /v1/client/gc", handleClientGC(cfg.Client))
	mux.Handle("PUT /v1/client/gc", handleClientGC(cfg.Client))
	mux.Handle("GET /v1/client/allocation/{alloc}/gc", handleClientAllocGC(rpc, cfg.Client, region))
	mux.Handle("PUT /v1/client/allocation/{alloc}/gc", handleClientAllocGC(rpc, cfg.Client, region))

	// Agent and cluster status.
	mux.Handle("GET /v1/agent/self", handleAgentSelf(cfg.Self))
	mux.Handle("GET /v1/status/leader", handleStatusLeader(rpc, region))
	mux.Handle("GET /v1/regions", handleRegions(region))
	mux.Handle("GET /v1/status/peers", handleStatusPeers(rpc, region))
	mux.Handle("GET /v1/agent/members", handleAgentMembers(rpc, cfg.Self, region))
}
