package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client calls a hub's API, as fuscanctl does.
type Client struct {
	// URL is the hub's API root, such as http://127.0.0.1:8080.
	URL string
	// Token is the bearer token: the content of the hub's DIR/api-token.
	Token string
	// HTTP makes the requests. Nil: http.DefaultClient.
	HTTP *http.Client
}

// APIError is an error answer of the API.
type APIError struct {
	Status  int    // the HTTP status code
	Message string // the answer's error
	Reason  string // for a refused bundle, its bundle.Reason
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("hub: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	if e.Reason != "" && !strings.Contains(e.Message, e.Reason) {
		msg += " (" + e.Reason + ")"
	}
	return msg
}

// Do sends a request to path (such as "/api/v1/devices") and returns the
// answer's body; an answer other than 200 is an *APIError.
func (c *Client) Do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("hub: %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &APIError{Status: resp.StatusCode}
		var body apiError
		if json.Unmarshal(data, &body) == nil && body.Error != "" {
			e.Message, e.Reason = body.Error, body.Reason
		} else {
			e.Message = strings.TrimSpace(string(data))
		}
		return nil, e
	}
	return data, nil
}

// Devices returns the fleet.
func (c *Client) Devices(ctx context.Context) ([]*Device, error) {
	data, err := c.Do(ctx, http.MethodGet, "/api/v1/devices", nil)
	if err != nil {
		return nil, err
	}
	var v struct {
		Devices []*Device `json:"devices"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("hub: devices: %w", err)
	}
	return v.Devices, nil
}

// Push posts a signed bundle for the hub to publish.
func (c *Client) Push(ctx context.Context, data []byte) (*Pushed, error) {
	body, err := c.Do(ctx, http.MethodPost, "/api/v1/bundles", data)
	if err != nil {
		return nil, err
	}
	p := &Pushed{}
	if err := json.Unmarshal(body, p); err != nil {
		return nil, fmt.Errorf("hub: bundles: %w", err)
	}
	return p, nil
}
