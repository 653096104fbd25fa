package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fuscan/fuscan/terminal"
)

// Health is what /healthz reports: whether the terminal can decide, and
// why not.
type Health struct {
	OK      bool     `json:"ok"`
	Reasons []string `json:"reasons,omitempty"` // why it is not OK
	Device  string   `json:"device"`
	Venue   string   `json:"venue"`
	Uptime  string   `json:"uptime"`

	Source      string `json:"source"`
	SourceState string `json:"source_state"` // starting, running, retrying, finished, stopped
	SourceError string `json:"source_error,omitempty"`

	Decisions uint64 `json:"decisions"`
	LastSeq   uint64 `json:"last_seq"`
	Backlog   uint64 `json:"backlog"` // records the hub has not acknowledged
	StoreSize int64  `json:"store_bytes"`
	OverCap   bool   `json:"store_over_cap"`
	LogErrors uint64 `json:"log_errors"`
	Purged    int    `json:"purged"` // records purged past retention since start

	// StoreDamaged is true while the store holds or showed damage: an
	// invalid meta page at start, seqs skipped, a broken chain (see
	// boltstore.Damage); Reasons say what, and where the copy is.
	StoreDamaged bool   `json:"store_damaged"`
	ChainOK      bool   `json:"log_chain_ok"`              // no break in the chain on record
	SkippedSeqs  uint64 `json:"log_skipped_seqs,omitzero"` // seqs skipped after damage: records there may be lost
	StoreCopy    string `json:"store_copy,omitempty"`      // the copy of the damaged file set aside at start

	TrustVersion uint64    `json:"trust_version"`
	TrustExpires time.Time `json:"trust_expires,omitzero"`
	TrustStale   bool      `json:"trust_stale"`
	TrustDemo    bool      `json:"trust_demo"`
	ClockFloor   time.Time `json:"clock_floor,omitzero"`
}

// Health reports the terminal's state. It is not OK while the source is
// failing, the store cannot be read, is damaged or is over its cap, the
// last commit failed, the trust data is stale, or the clock is below its
// floor. A damaged store still decides and logs: Health says so until
// the damage is purged.
func (e *Engine) Health() Health { return e.health(e.pipeline.Stats()) }

// health is Health from the pipeline's stats st.
func (e *Engine) health(st terminal.Stats) Health {
	now := e.now()
	e.mu.Lock()
	h := Health{Device: e.cfg.Device, Venue: e.cfg.Venue, Source: e.cfg.Source,
		SourceState: string(e.src), SourceError: e.lastErr, Purged: e.purged}
	e.mu.Unlock()
	h.Uptime = now.Sub(e.started).Round(time.Second).String()
	h.Decisions, h.LogErrors = st.Decisions, st.LogErrors
	h.TrustVersion, h.TrustExpires, h.TrustDemo = e.trust.Version, e.trust.ExpiresAt, e.trust.Demo
	h.TrustStale = !e.trust.ExpiresAt.IsZero() && now.After(e.trust.ExpiresAt)
	h.ClockFloor = e.store.Floor()
	var reasons []string
	if h.SourceState == string(sourceRetrying) {
		reasons = append(reasons, "source failing: "+h.SourceError)
	}
	if c, err := e.store.Counters(); err != nil {
		reasons = append(reasons, "store: "+err.Error())
	} else {
		h.LastSeq, h.Backlog, h.StoreSize, h.OverCap = c.LastSeq, c.Backlog, c.Bytes, c.OverCap
		if c.OverCap {
			reasons = append(reasons, "store over its size cap: sync or purge it")
		}
	}
	d := e.store.Damage()
	h.StoreDamaged, h.ChainOK, h.SkippedSeqs, h.StoreCopy = !d.Sound(), d.ChainOK(), d.Skipped(), d.Copy
	reasons = append(reasons, d.Problems()...)
	if e.commitFailed.Load() {
		reasons = append(reasons, "the last decision could not be logged")
	}
	if h.TrustStale {
		reasons = append(reasons, "trust data expired")
	}
	if now.Before(h.ClockFloor) || now.Year() < terminal.MinTrustedYear {
		reasons = append(reasons, "clock untrusted")
	}
	h.OK, h.Reasons = len(reasons) == 0, reasons
	return h
}

// Handler serves /healthz (JSON, 503 when not OK), /metrics (Prometheus
// text format) and /backup (a consistent copy of the store, for the
// fuscanctl log commands while the terminal holds the file).
func (e *Engine) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&collector{e: e})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := e.Health()
		w.Header().Set("Content-Type", "application/json")
		if !h.OK {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(h)
	})
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		name := fmt.Sprintf("terminal-%s-%s.db", e.cfg.Device, e.now().UTC().Format("20060102T150405Z"))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		if _, err := e.store.Backup(w); err != nil {
			// The copy is cut short: opening it fails its check.
			e.logger.Error("backup failed", "err", err)
		}
	})
	return mux
}
