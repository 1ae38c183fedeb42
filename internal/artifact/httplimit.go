package artifact

import (
	"io"
	"net/http"
)

// httpClient returns the client artifact downloads use: its responses fail
// with an error once a body passes maxBytes. go-getter's own MaxBytes cuts
// a body short without an error when the server sends no Content-Length,
// which would pass a truncated file (without a checksum) as fetched.
func httpClient(maxBytes int64) *http.Client {
	rt := http.DefaultTransport.(*http.Transport).Clone()
	if maxBytes <= 0 {
		return &http.Client{Transport: rt}
	}
	return &http.Client{Transport: limitingTransport{next: rt, max: maxBytes}}
}

type limitingTransport struct {
	next http.RoundTripper
	max  int64
}

func (t limitingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, refusef("the response is %d bytes, over http_max_size (%d)", resp.ContentLength, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, max: t.max}
	return resp, nil
}

// limitedBody reads at most max bytes and fails on the byte after.
type limitedBody struct {
	rc        io.ReadCloser
	left, max int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		return int(b.left), refusef("the response is over http_max_size (%d bytes)", b.max)
	}
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
