package testutil

import (
	"context"
	"fmt"

	"github.com/drover-sh/drover"
)

// FakeRPC answers the RPCs behind the HTTP API with its function fields;
// an unset field fails the call, so a test sees which method was used.
type FakeRPC struct {
	JobRegister    func(*drover.JobRegisterRequest, *drover.JobRegisterResponse) error
	JobDeregister  func(*drover.JobDeregisterRequest, *drover.JobDeregisterResponse) error
	JobGetJob      func(*drover.JobSpecificRequest, *drover.SingleJobResponse) error
	JobList        func(*drover.JobListRequest, *drover.JobListResponse) error
	JobAllocations func(*drover.JobSpecificRequest, *drover.JobAllocationsResponse) error
	JobEvaluations func(*drover.JobSpecificRequest, *drover.JobEvaluationsResponse) error
	JobSummary     func(*drover.JobSpecificRequest, *drover.JobSummaryResponse) error
	JobPlan        func(*drover.JobPlanRequest, *drover.JobPlanResponse) error
	JobValidate    func(*drover.JobValidateRequest, *drover.JobValidateResponse) error
	JobVersions    func(*drover.JobVersionsRequest, *drover.JobVersionsResponse) error
	JobRevert      func(*drover.JobRevertRequest, *drover.JobRegisterResponse) error
	AllocList      func(*drover.AllocListRequest, *drover.AllocListResponse) error
	AllocGetAlloc  func(*drover.AllocSpecificRequest, *drover.SingleAllocResponse) error
	EvalList       func(*drover.EvalListRequest, *drover.EvalListResponse) error
	EvalGetEval    func(*drover.EvalSpecificRequest, *drover.SingleEvalResponse) error
	NodeList       func(*drover.NodeListRequest, *drover.NodeListResponse) error
	NodeGetNode    func(*drover.NodeSpecificRequest, *drover.SingleNodeResponse) error
	NodeGetAllocs  func(*drover.NodeSpecificRequest, *drover.NodeAllocsResponse) error
	StatusLeader   func(*drover.GenericRequest, *string) error

	OperatorSchedulerGetConfiguration func(*drover.GenericRequest, *drover.SchedulerConfigurationResponse) error
	OperatorSchedulerSetConfiguration func(*drover.SchedulerSetConfigRequest, *drover.SchedulerSetConfigurationResponse) error
	JobDispatch                       func(*drover.JobDispatchRequest, *drover.JobDispatchResponse) error
	PeriodicForce                     func(*drover.PeriodicForceRequest, *drover.PeriodicForceResponse) error
	AllocStop                         func(*drover.AllocStopRequest, *drover.AllocStopResponse) error
}

// RPC dispatches method to its field.
func (f *FakeRPC) RPC(ctx context.Context, method string, args, reply any) error {
	switch method {
	case drover.MethodJobRegister:
		return call(method, f.JobRegister, args, reply)
	case drover.MethodJobDeregister:
		return call(method, f.JobDeregister, args, reply)
	case drover.MethodJobGetJob:
		return call(method, f.JobGetJob, args, reply)
	case drover.MethodJobList:
		return call(method, f.JobList, args, reply)
	case drover.MethodJobAllocations:
		return call(method, f.JobAllocations, args, reply)
	case drover.MethodJobEvaluations:
		return call(method, f.JobEvaluations, args, reply)
	case drover.MethodJobSummary:
		return call(method, f.JobSummary, args, reply)
	case drover.MethodJobPlan:
		return call(method, f.JobPlan, args, reply)
	case drover.MethodJobValidate:
		return call(method, f.JobValidate, args, reply)
	case drover.MethodJobVersions:
		return call(method, f.JobVersions, args, reply)
	case drover.MethodJobRevert:
		return call(method, f.JobRevert, args, reply)
	case drover.MethodAllocList:
		return call(method, f.AllocList, args, reply)
	case drover.MethodAllocGetAlloc:
		return call(method, f.AllocGetAlloc, args, reply)
	case drover.MethodEvalList:
		return call(method, f.EvalList, args, reply)
	case drover.MethodEvalGetEval:
		return call(method, f.EvalGetEval, args, reply)
	case drover.MethodNodeList:
		return call(method, f.NodeList, args, reply)
	case drover.MethodNodeGetNode:
		return call(method, f.NodeGetNode, args, reply)
	case drover.MethodNodeGetAllocs:
		return call(method, f.NodeGetAllocs, args, reply)
	case drover.MethodStatusLeader:
		return call(method, f.StatusLeader, args, reply)
	case drover.MethodOperatorSchedulerGetConfiguration:
		return call(method, f.OperatorSchedulerGetConfiguration, args, reply)
	case drover.MethodOperatorSchedulerSetConfiguration:
		return call(method, f.OperatorSchedulerSetConfiguration, args, reply)
	case drover.MethodJobDispatch:
		return call(method, f.JobDispatch, args, reply)
	case drover.MethodPeriodicForce:
		return call(method, f.PeriodicForce, args, reply)
	case drover.MethodAllocStop:
		return call(method, f.AllocStop, args, reply)
	}
	return fmt.Errorf("fake rpc: unknown method %s", method)
}

func call[A, R any](method string, fn func(*A, *R) error, args, reply any) error {
	if fn == nil {
		return fmt.Errorf("fake rpc: %s not set", method)
	}
	return fn(args.(*A), reply.(*R))
}
