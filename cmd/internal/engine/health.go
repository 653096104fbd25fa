package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fuscan/fuscan/sync/wire"
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

	// Sync is the link to the hub; nil without a broker.
	Sync *SyncHealth `json:"sync,omitempty"`
}

// SyncHealth is what /healthz reports of the link to the hub.
type SyncHealth struct {
	Broker       string    `json:"broker"`
	Connected    bool      `json:"connected"`
	Since        time.Time `json:"since,omitzero"`         // connected or lost since
	OfflineSince time.Time `json:"offline_since,omitzero"` // zero while connected
	LastError    string    `json:"last_error,omitempty"`
	LastAck      time.Time `json:"last_ack,omitzero"`
	// OldestUnsyncedAge is the age of the oldest record the hub has not
	// acknowledged, in seconds; 0 when there is none.
	OldestUnsyncedAge float64 `json:"oldest_unsynced_age_s"`
	DrainRate         float64 `json:"drain_rate"` // records acknowledged a second, over 10 s
	InFlight          int     `json:"in_flight"`  // batches waiting for their ack
	// Clock is ok, untrusted or skewed (from the hub's); HubSkew is the
	// terminal's clock minus the hub's, in seconds.
	Clock   string                  `json:"clock"`
	HubSkew float64                 `json:"hub_skew_s,omitempty"`
	HubHeld uint64                  `json:"hub_held"` // the highest seq the hub holds
	Updates map[string]wire.Applied `json:"updates"`  // versions in effect, by kind
	// LastUpdate is the outcome of the last update bundle received.
	LastUpdate *wire.Report `json:"last_update,omitempty"`
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
	t := e.verifier.Trust()
	h.TrustVersion, h.TrustExpires, h.TrustDemo = t.Version, t.ExpiresAt, t.Demo
	h.TrustStale = !t.ExpiresAt.IsZero() && now.After(t.ExpiresAt)
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
	if e.link != nil {
		h.Sync = e.syncHealth(now, t)
		if h.Sync.Clock == "skewed" {
			reasons = append(reasons, fmt.Sprintf("clock %.0f s away from the hub's", h.Sync.HubSkew))
		}
	}
	h.OK, h.Reasons = len(reasons) == 0, reasons
	return h
}

// syncHealth reports the link to the hub.
func (e *Engine) syncHealth(now time.Time, t *terminal.Trust) *SyncHealth {
	ls := e.link.State()
	s := &SyncHealth{Broker: e.cfg.MQTT.Broker, Connected: ls.Connected, Since: ls.Since, OfflineSince: ls.OfflineSince,
		LastError: ls.LastError, LastAck: ls.LastAck, DrainRate: ls.DrainRate, InFlight: ls.InFlight,
		Clock: e.clockState(t.Policy.ClockSkew), HubHeld: ls.HubHeld, Updates: e.versions()}
	if ls.HubSkewKnown {
		s.HubSkew = ls.HubSkew.Seconds()
	}
	if at, ok := e.store.OldestUnsynced(); ok {
		s.OldestUnsyncedAge = max(now.Sub(at), 0).Seconds()
	}
	e.mu.Lock()
	if e.lastUpdate.Outcome != "" {
		r := e.lastUpdate
		s.LastUpdate = &r
	}
	e.mu.Unlock()
	return s
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

// Serve serves Handler on addr until the returned server is closed. It
// warns when addr is beyond loopback: none of the endpoints asks for a
// password, and /backup hands out the whole scan log.
func (e *Engine) Serve(addr string) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("engine: listen: %w", err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		e.logger.Warn("/healthz, /metrics and /backup are served beyond loopback, without authentication: "+
			"anyone who reaches the address can download the scan log", "addr", ln.Addr().String())
	}
	srv := &http.Server{Handler: e.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.logger.Error("health server stopped", "err", err)
		}
	}()
	e.logger.Info("serving /healthz, /metrics and /backup", "addr", ln.Addr().String())
	return srv, nil
}
