package hub

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/wire"
)

// Handler returns the hub's JSON API:
//
//	GET  /api/v1/devices   the fleet: {"devices": [Device...]}
//	GET  /api/v1/scans     ?device=&venue=&verdict=&reason=&since=&until=&limit=&after=
//	                       {"scans": [Scan...], "next": CURSOR}, newest first
//	GET  /api/v1/reports   ?device=&limit=  {"reports": [Report...]}, newest first
//	POST /api/v1/bundles   body: a signed bundle; {"topic", "kind", "version", "target", "digest", "published"}
//
// Every request needs "Authorization: Bearer TOKEN" with Options.Token;
// without it the answer is 401. Errors are {"error": MESSAGE}, plus
// "reason" (a bundle.Reason) for a refused bundle.
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/devices", h.getDevices)
	mux.HandleFunc("GET /api/v1/scans", h.getScans)
	mux.HandleFunc("GET /api/v1/reports", h.getReports)
	mux.HandleFunc("POST /api/v1/bundles", h.postBundle)
	want := sha256.Sum256([]byte(h.opts.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(token))
		// Hashes of equal length, so that the comparison takes the same
		// time whatever the token's length.
		if !ok || h.opts.Token == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fuscan-hub"`)
			writeError(w, http.StatusUnauthorized, "a bearer token is required: Authorization: Bearer TOKEN, TOKEN from the hub's api-token file", "")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// apiError is the body of an error answer.
type apiError struct {
	Error  string `json:"error"`
	Reason string `json:"reason,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg, reason string) {
	writeJSON(w, status, apiError{Error: msg, Reason: reason})
}

// view returns what fn reads in a read-only transaction of s.
func view[T any](s Store, fn func(Tx) (T, error)) (T, error) {
	var v T
	err := s.View(func(tx Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v, err
}

func (h *Hub) getDevices(w http.ResponseWriter, r *http.Request) {
	devices, err := view(h.opts.Store, Tx.Devices)
	if err != nil {
		h.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Devices []*Device `json:"devices"`
	}{nonNil(devices)})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (h *Hub) internal(w http.ResponseWriter, err error) {
	h.log.Error("API: store", "err", err)
	writeError(w, http.StatusInternalServerError, "the hub's store failed; see its log", "")
}

// ParseScanQuery reads the scans API's query parameters.
func ParseScanQuery(v map[string][]string) (ScanQuery, error) {
	get := func(k string) string {
		if len(v[k]) > 0 {
			return v[k][0]
		}
		return ""
	}
	q := ScanQuery{Device: get("device"), Venue: get("venue"), Verdict: get("verdict"), Reason: get("reason"), After: get("after")}
	var err error
	if q.Limit, err = parseLimit(get("limit")); err != nil {
		return q, err
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if s := get(t.name); s != "" {
			if *t.dst, err = time.Parse(time.RFC3339, s); err != nil {
				return q, fmt.Errorf("%s: want an RFC 3339 time such as 2026-11-23T09:00:00+08:00", t.name)
			}
		}
	}
	return q, nil
}

// parseLimit reads a limit parameter: DefaultLimit when empty, 1 to
// MaxLimit.
func parseLimit(s string) (int, error) {
	if s == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, fmt.Errorf("limit: want 1 to %d", MaxLimit)
	}
	return n, nil
}

func (h *Hub) getScans(w http.ResponseWriter, r *http.Request) {
	q, err := ParseScanQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	var next string
	scans, err := view(h.opts.Store, func(tx Tx) (scans []Scan, err error) {
		scans, next, err = tx.Scans(q)
		return scans, err
	})
	if errors.Is(err, ErrCursor) {
		writeError(w, http.StatusBadRequest, "after: not a cursor of this API: give the next of the previous page", "")
		return
	}
	if err != nil {
		h.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Scans []Scan `json:"scans"`
		Next  string `json:"next"`
	}{nonNil(scans), next})
}

func (h *Hub) getReports(w http.ResponseWriter, r *http.Request) {
	limit, err := parseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	reports, err := view(h.opts.Store, func(tx Tx) ([]*Report, error) { return tx.Reports(r.URL.Query().Get("device"), limit) })
	if err != nil {
		h.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Reports []*Report `json:"reports"`
	}{nonNil(reports)})
}

// Pushed is the answer to a bundle POST.
type Pushed struct {
	Topic   string `json:"topic"`
	Kind    string `json:"kind"`
	Version uint64 `json:"version"`
	Target  string `json:"target"`
	Digest  string `json:"digest"` // SHA-256 of the bundle, hex
	// Published is true when the broker acknowledged the retained
	// message within a few seconds; the hub publishes it again at every
	// connection in any case.
	Published bool `json:"published"`
}

func (h *Hub) postBundle(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, bundle.MaxSize))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: %v (a bundle is at most %d bytes)", err, bundle.MaxSize), string(bundle.Malformed))
		return
	}
	p, err := h.PublishBundle(data)
	var be *bundle.Error
	switch {
	case errors.As(err, &be) && be.Reason == bundle.NotNewer:
		writeError(w, http.StatusConflict, err.Error(), string(be.Reason))
	case errors.As(err, &be):
		writeError(w, http.StatusBadRequest, err.Error(), string(be.Reason))
	case err != nil:
		h.internal(w, err)
	default:
		writeJSON(w, http.StatusOK, p)
	}
}

// PublishBundle checks data, a signed bundle, against Options.Roots and
// the hub's clock, keeps it, and publishes it retained on its topic. A
// bundle refused is a *bundle.Error: MALFORMED, ROOT_UNKNOWN, SIG_INVALID,
// EXPIRED, or NOT_NEWER when a bundle of its kind with the same or a
// higher version is retained already (versions rise per kind across
// targets). The same bundle again is published again.
func (h *Hub) PublishBundle(data []byte) (*Pushed, error) {
	roots := h.opts.Roots
	if roots == nil {
		return nil, &bundle.Error{Reason: bundle.RootUnknown, Detail: "the hub has no root keys: give it --roots or DIR/roots.pem"}
	}
	b, err := bundle.Open(data, roots)
	if err != nil {
		return nil, err
	}
	now := h.now()
	if now.After(b.ExpiresAt) {
		return nil, &bundle.Error{Reason: bundle.Expired, Detail: "expired at " + b.ExpiresAt.Format(time.RFC3339)}
	}
	topic, err := wire.UpdateTopic(h.opts.Tenant, b.Target, b.Kind)
	if err != nil {
		return nil, &bundle.Error{Reason: bundle.Malformed, Detail: err.Error()}
	}
	ret := &Retained{Topic: topic, Kind: b.Kind, Version: b.Version, Target: b.Target, Digest: b.Digest, Posted: now.UTC(), Data: data}
	err = h.opts.Store.Update(func(tx Tx) error {
		all, err := tx.RetainedAll()
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(all, func(o *Retained) bool { return o.Topic == topic && o.Digest == b.Digest }); i >= 0 {
			ret.Posted = all[i].Posted
			return nil // the same bundle again
		}
		for _, old := range all {
			if old.Kind == b.Kind && old.Version >= b.Version {
				return &bundle.Error{Reason: bundle.NotNewer,
					Detail: fmt.Sprintf("version %d: %s holds version %d of %s", b.Version, old.Topic, old.Version, b.Kind)}
			}
		}
		return tx.PutRetained(ret)
	})
	if err != nil {
		return nil, err
	}
	p := &Pushed{Topic: topic, Kind: b.Kind, Version: b.Version, Target: b.Target, Digest: hex.EncodeToString(b.Digest[:])}
	if tok := h.publish(topic, true, data); tok != nil {
		p.Published = tok.WaitTimeout(10*time.Second) && tok.Error() == nil
	}
	h.log.Info("bundle published", "topic", topic, "version", b.Version, "published", p.Published)
	return p, nil
}
