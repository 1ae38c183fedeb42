package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestQueryWithContext: cancelling the context of a blocking query ends it,
// without waiting for the server to answer.
func TestQueryWithContext(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done() // a blocking query that never fires
	}))
	defer srv.Close()
	c, err := NewClient(Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := c.Jobs().List((&QueryOptions{WaitIndex: 5}).WithContext(ctx))
		errc <- err
	}()
	<-arrived
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if (*QueryOptions)(nil).Context() != context.Background() {
		t.Error("nil options must use context.Background")
	}
}
