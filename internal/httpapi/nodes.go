package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// handleNodeList lists node stubs; ?resources=true adds each node's
// resources and ?os=true its operating system attributes, as Nomad's;
// ?filter= keeps the stubs a go-bexpr expression matches.
func handleNodeList(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.NodeListRequest{QueryOptions: q}
		filter, err := filterParam(r)
		if err != nil {
			writeError(w, err)
			return
		}
		if args.Fields.Resources, err = boolParam(r, "resources"); err != nil {
			writeError(w, err)
			return
		}
		if args.Fields.OS, err = boolParam(r, "os"); err != nil {
			writeError(w, err)
			return
		}
		var reply drover.NodeListResponse
		if !callRead(w, r, rpc, drover.MethodNodeList, args, &reply, &reply.QueryMeta) {
			return
		}
		out := []*drover.NodeListStub{}
		for _, n := range reply.Nodes {
			ok, err := filterMatch(filter, n)
			if err != nil {
				writeError(w, err)
				return
			}
			if ok {
				out = append(out, n)
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func handleNodeGet(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.NodeSpecificRequest{NodeID: r.PathValue("id"), QueryOptions: q}
		var reply drover.SingleNodeResponse
		if !callRead(w, r, rpc, drover.MethodNodeGetNode, args, &reply, &reply.QueryMeta) {
			return
		}
		if reply.Node == nil {
			writeError(w, notFound("node"))
			return
		}
		writeJSON(w, http.StatusOK, reply.Node)
	})
}

func handleNodeAllocations(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.NodeSpecificRequest{NodeID: r.PathValue("id"), QueryOptions: q}
		var reply drover.NodeAllocsResponse
		if callRead(w, r, rpc, drover.MethodNodeGetAllocs, args, &reply, &reply.QueryMeta) {
			writeJSON(w, http.StatusOK, orEmpty(reply.Allocs))
		}
	})
}
