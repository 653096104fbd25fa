package engine

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fuscan/fuscan/terminal"
)

// collector reads the engine's figures at each scrape, so nothing is
// counted twice and the decision path does no metrics work.
type collector struct{ e *Engine }

// descs holds every descriptor desc made, for Describe.
var descs []*prometheus.Desc

func desc(name, help string, labels ...string) *prometheus.Desc {
	d := prometheus.NewDesc("fuscan_"+name, help, labels, nil)
	descs = append(descs, d)
	return d
}

var (
	descDecisions  = desc("decisions_total", "Decisions shown, by verdict and reason.", "verdict", "reason")
	descFrames     = desc("frames_total", "Frames received from the source.")
	descDropped    = desc("frames_dropped_total", "Frames replaced by a newer one before decoding (latest frame wins).")
	descDecodeErrs = desc("decode_errors_total", "Frames the decoder could not use.")
	descDuplicates = desc("duplicates_total", "Sightings of a code within the de-duplication window.")
	descLogErrors  = desc("log_errors_total", "Decisions the scan log failed to commit (shown as refer TERMINAL_FAULT).")
	descOutErrors  = desc("output_errors_total", "Failed outputs (gate, screen).")
	descLatency    = desc("stage_latency_seconds", "Latency of a pipeline stage over its recent samples.", "stage", "quantile")
	descLastSeq    = desc("log_last_seq", "Sequence number of the newest record.")
	descBacklog    = desc("log_backlog_records", "Records the hub has not acknowledged.")
	descStoreBytes = desc("store_bytes", "Size of the store.")
	descOverCap    = desc("store_over_cap", "1 when the store is over its size cap.")
	descDamaged    = desc("store_damaged", "1 while the store holds or showed damage: an invalid meta page at start, skipped seqs, a broken chain.")
	descChainOK    = desc("log_chain_ok", "0 while a break in the scan log's chain is on record.")
	descSkipped    = desc("log_skipped_seqs", "Seqs skipped after damage so that none is used twice: records there may be lost.")
	descTrustVer   = desc("trust_version", "Version of the trust snapshot in use.")
	descTrustAge   = desc("trust_age_seconds", "Age of the trust snapshot (since it was issued).")
	descTrustLeft  = desc("trust_expires_in_seconds", "Time until the trust snapshot expires; negative once it has.")
	descTrustDemo  = desc("trust_demo", "1 when the published demo keys are trusted.")
	descSourceUp   = desc("source_up", "1 while the source runs, 0 while it fails and is retried.")
	descHealthy    = desc("healthy", "1 when /healthz reports ok.")

	descSyncUp      = desc("sync_connected", "1 while the link to the hub is up.")
	descOldest      = desc("sync_oldest_unsynced_seconds", "Age of the oldest record the hub has not acknowledged; 0 for none.")
	descDrainRate   = desc("sync_drain_records_per_second", "Records the hub acknowledged a second, over the last 10 s.")
	descLastAck     = desc("sync_last_ack_timestamp_seconds", "When the hub's last ack arrived (Unix time).")
	descClockSkewed = desc("sync_clock_skewed", "1 when the clock is further from the hub's than the policy's clock skew.")
	descUpdateVer   = desc("update_version", "Version in effect of each kind of update.", "kind")
	descLastUpdate  = desc("update_last", "The last update bundle's outcome (always 1).", "kind", "outcome", "reason")
)

// Describe sends every descriptor, not only those of the metrics a scrape
// happens to have (the sync metrics appear with a broker, the last update
// after the first bundle).
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	e := c.e
	st := e.pipeline.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for o, n := range st.Outcomes {
		counter(descDecisions, n, o.Verdict.String(), string(o.Reason))
	}
	counter(descFrames, st.Frames)
	counter(descDropped, st.Dropped)
	counter(descDecodeErrs, st.DecodeErrors)
	counter(descDuplicates, st.Duplicates)
	counter(descLogErrors, st.LogErrors)
	counter(descOutErrors, st.OutputErrors)
	stages := []struct {
		name string
		l    terminal.Latency
	}{{"decode", st.Decode}, {"verify", st.Verify}, {"commit", st.Commit}, {"output", st.Output}, {"total", st.Total}}
	for _, s := range stages {
		if s.l.Count == 0 {
			continue
		}
		gauge(descLatency, s.l.P50.Seconds(), s.name, "0.5")
		gauge(descLatency, s.l.P99.Seconds(), s.name, "0.99")
		gauge(descLatency, s.l.Max.Seconds(), s.name, "1")
	}
	h := e.health(st)
	gauge(descLastSeq, float64(h.LastSeq))
	gauge(descBacklog, float64(h.Backlog))
	gauge(descStoreBytes, float64(h.StoreSize))
	gauge(descOverCap, b2f(h.OverCap))
	gauge(descDamaged, b2f(h.StoreDamaged))
	gauge(descChainOK, b2f(h.ChainOK))
	gauge(descSkipped, float64(h.SkippedSeqs))
	now := e.now()
	t := e.verifier.Trust()
	gauge(descTrustVer, float64(t.Version))
	if !t.IssuedAt.IsZero() {
		gauge(descTrustAge, now.Sub(t.IssuedAt).Seconds())
	}
	if !t.ExpiresAt.IsZero() {
		gauge(descTrustLeft, t.ExpiresAt.Sub(now).Seconds())
	}
	gauge(descTrustDemo, b2f(t.Demo))
	if s := h.Sync; s != nil {
		gauge(descSyncUp, b2f(s.Connected))
		gauge(descOldest, s.OldestUnsyncedAge)
		gauge(descDrainRate, s.DrainRate)
		if !s.LastAck.IsZero() {
			gauge(descLastAck, float64(s.LastAck.UnixNano())/1e9)
		}
		gauge(descClockSkewed, b2f(s.Clock == "skewed"))
		for kind, a := range s.Updates {
			gauge(descUpdateVer, float64(a.Version), kind)
		}
		if r := s.LastUpdate; r != nil {
			gauge(descLastUpdate, 1, r.Kind, r.Outcome, r.Reason)
		}
	}
	gauge(descSourceUp, b2f(h.SourceState != string(sourceRetrying)))
	gauge(descHealthy, b2f(h.OK))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
