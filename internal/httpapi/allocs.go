package httpapi

import (
	"net/http"
	"slices"

	"github.com/drover-sh/drover"
)

// handleAllocList answers GET /v1/allocations: the allocations' stubs,
// those whose ID starts with ?prefix= if given. As in Nomad,
// ?task_states=false leaves out the tasks' states and ?resources=true adds
// each allocation's AllocatedResources. ?namespace= keeps that namespace's
// allocations ("*": all); without it the list has every namespace's, so
// that a prefix given to the CLI finds an allocation wherever it is.
func handleAllocList(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		withResources, err := boolParam(r, "resources")
		if err != nil {
			writeError(w, err)
			return
		}
		taskStates := true
		if r.URL.Query().Has("task_states") {
			if taskStates, err = boolParam(r, "task_states"); err != nil {
				writeError(w, err)
				return
			}
		}
		var reply drover.AllocListResponse
		if err := rpc.RPC(r.Context(), drover.MethodAllocList, &drover.AllocListRequest{QueryOptions: q}, &reply); err != nil {
			writeError(w, err)
			return
		}
		if ns := r.URL.Query().Get("namespace"); ns != "" && ns != "*" {
			reply.Allocations = slices.DeleteFunc(reply.Allocations, func(s *drover.AllocListStub) bool { return s.Namespace != ns })
		}
		if withResources {
			if err := addAllocResources(r, rpc, q, reply.Allocations); err != nil {
				writeError(w, err)
				return
			}
		}
		if !taskStates {
			for _, s := range reply.Allocations {
				s.TaskStates = nil
			}
		}
		setMeta(w, reply.QueryMeta)
		writeJSON(w, http.StatusOK, orEmpty(reply.Allocations))
	})
}

// addAllocResources sets the stubs' AllocatedResources from the full
// allocations. One collected meanwhile keeps none.
func addAllocResources(r *http.Request, rpc RPC, q drover.QueryOptions, stubs []*drover.AllocListStub) error {
	if len(stubs) == 0 {
		return nil
	}
	args := &drover.AllocsGetRequest{QueryOptions: q}
	args.MinQueryIndex, args.MaxQueryTime = 0, 0 // the list has already waited
	for _, s := range stubs {
		args.AllocIDs = append(args.AllocIDs, s.ID)
	}
	var reply drover.AllocsGetResponse
	if err := rpc.RPC(r.Context(), drover.MethodAllocGetAllocs, args, &reply); err != nil {
		return err
	}
	byID := make(map[string]*drover.Allocation, len(reply.Allocs))
	for _, a := range reply.Allocs {
		byID[a.ID] = a
	}
	for _, s := range stubs {
		if a := byID[s.ID]; a != nil {
			s.AllocatedResources = a.AllocatedResources
		}
	}
	return nil
}

func handleAllocGet(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.AllocSpecificRequest{AllocID: r.PathValue("id"), QueryOptions: q}
		var reply drover.SingleAllocResponse
		if !callRead(w, r, rpc, drover.MethodAllocGetAlloc, args, &reply, &reply.QueryMeta) {
			return
		}
		if reply.Alloc == nil {
			writeError(w, notFound("alloc"))
			return
		}
		writeJSON(w, http.StatusOK, reply.Alloc)
	})
}
