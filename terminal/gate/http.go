package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/fuscan/fuscan/terminal"
)

// HTTP opens a relay board's gate with one request to URL, sent only for
// decisions that open it. A POST carries a JSON body with the verdict,
// reason, seq, format and pulse_ms; a GET carries nothing. A status other
// than 2xx is an error.
type HTTP struct {
	URL    string
	Method string       // GET or POST; "": POST
	Client *http.Client // nil: http.DefaultClient; Options.Timeout bounds each request
	Options
}

func newHTTP(target, method string, opts Options) (*HTTP, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("http needs an http:// or https:// URL with a host: http:http://HOST/PATH")
	}
	switch method {
	case "", http.MethodPost, http.MethodGet:
	default:
		return nil, fmt.Errorf("method=%s: want GET or POST", method)
	}
	return &HTTP{URL: target, Method: method, Options: opts}, nil
}

// Show implements terminal.Output.
func (g *HTTP) Show(ctx context.Context, d *terminal.Decision, r *terminal.Record) error {
	if !g.Opens(d) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout())
	defer cancel()
	req, err := g.request(ctx, d, r)
	if err != nil {
		return fmt.Errorf("gate: http: %w", err)
	}
	client := g.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("gate: http: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("gate: http: %s %s: %s: %s", req.Method, g.URL, resp.Status, tail(string(body)))
	}
	return nil
}

func (g *HTTP) request(ctx context.Context, d *terminal.Decision, r *terminal.Record) (*http.Request, error) {
	if g.Method == http.MethodGet {
		return http.NewRequestWithContext(ctx, http.MethodGet, g.URL, nil)
	}
	body, err := json.Marshal(struct {
		Verdict string          `json:"verdict"`
		Reason  terminal.Reason `json:"reason"`
		Seq     uint64          `json:"seq"`
		Format  string          `json:"format"`
		PulseMS int64           `json:"pulse_ms"`
	}{d.Verdict.String(), d.Reason, r.Seq, r.Format, g.pulse().Milliseconds()})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}
