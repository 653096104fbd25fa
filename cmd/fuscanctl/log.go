package main

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
)

var logCommand = &command{
	name:    "log",
	args:    "verify|export|stats --db PATH [--since TIME] [--format jsonl|csv]",
	summary: "check, export or count a terminal's scan log",
	help: `
Log reads a terminal's scan log (the store file, DIR/terminal.db) without
changing it.

  log verify --db PATH   checks the hash chain: prints "ok N records
                         head=HEX" and exits 0, or names every changed,
                         missing, moved or unreadable record and exits 1
  log export --db PATH [--since TIME] [--format jsonl|csv]
                         prints the records, one a line, oldest first
  log stats --db PATH    counts records by verdict and reason, and shows the
                         outbox backlog and the oldest record not yet synced

Each command also reports on stderr what is wrong with the store: an
invalid meta page (bbolt then reads the state one commit older), seqs
skipped after such damage (records there may be lost), breaks in the chain
a terminal found at its start, and records that do not decode. Export and
stats carry on past an unreadable record and print everything else; any of
these makes the exit status 1. A store that cannot be read at all (cut
short, both meta pages invalid) is refused, and a copy of it kept.

The file is opened read-only. bbolt locks it: while fuscand has it open,
these commands wait --timeout for the lock and then fail. Run them on the
consistent copy a running fuscand serves:
  curl -s 127.0.0.1:9464/backup > copy.db && fuscanctl log verify --db copy.db`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &logOptions{}
		fs.StringVar(&o.db, "db", "", "the store `file`")
		fs.Var(&o.since, "since", "export: only records at or after this RFC 3339 `time`")
		fs.StringVar(&o.format, "format", "jsonl", "export: jsonl or csv")
		fs.DurationVar(&o.timeout, "timeout", time.Second, "how long to wait for the file lock")
		return o.run
	},
}

type logOptions struct {
	db      string
	since   timeFlag
	format  string
	timeout time.Duration
}

func (o *logOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return usagef("want one of verify, export, stats")
	}
	sub := map[string]func(*env, *boltstore.Store) error{
		"verify": o.verify, "export": o.export, "stats": o.stats,
	}[args[0]]
	if sub == nil {
		return usagef("unknown log command %q; want verify, export or stats", args[0])
	}
	if o.db == "" {
		return usagef("--db is required")
	}
	if args[0] != "export" && (o.since.set || o.format != "jsonl") {
		return usagef("--since and --format are for export only")
	}
	if o.format != "jsonl" && o.format != "csv" {
		return usagef("--format: want jsonl or csv, not %q", o.format)
	}
	// The damage is reported below, on stderr: not through a logger.
	s, err := boltstore.Open(o.db, &boltstore.Options{ReadOnly: true, Timeout: o.timeout, Logger: slog.New(slog.DiscardHandler)})
	if errors.Is(err, boltstore.ErrLocked) {
		return fmt.Errorf("%w\n  a running fuscand holds it: use the copy it serves,\n  curl -s 127.0.0.1:9464/backup > copy.db && fuscanctl log %s --db copy.db", err, args[0])
	}
	if err != nil {
		return err
	}
	defer s.Close()
	if err := sub(e, s); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	return nil
}

func (o *logOptions) verify(e *env, s *boltstore.Store) error {
	n, head, err := s.Verify()
	if err := reportDamage(e, s, err); err != nil {
		return fmt.Errorf("%w; %d records pass, head=%s", err, n, hex.EncodeToString(head))
	}
	fmt.Fprintf(e.stdout, "ok %d records head=%s\n", n, hex.EncodeToString(head))
	return nil
}

// reportDamage prints on stderr, a line each, what the store knows to be
// wrong with its file and the bad records that err (from Verify, Records
// or Stats) names. It returns an error counting them, nil when there are
// none, or err when it is another error.
func reportDamage(e *env, s *boltstore.Store, err error) error {
	var bad *boltstore.BadRecordsError
	if err != nil && !errors.As(err, &bad) {
		return err
	}
	d := s.Damage()
	if bad != nil {
		d.Breaks = nil // the command found them itself, and more
	}
	lines := d.Problems()
	if bad != nil {
		for _, r := range bad.Records {
			lines = append(lines, fmt.Sprintf("seq %d: %s", r.Seq, r.Reason))
		}
	}
	for _, l := range lines {
		fmt.Fprintln(e.stderr, l)
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("the store is damaged: %d problems, listed above", len(lines))
}

// logRow is a record as export prints it; the CSV columns follow its
// fields in order.
type logRow struct {
	Seq       uint64 `json:"seq"`
	Device    string `json:"device"`
	Venue     string `json:"venue"`
	Time      string `json:"time"`
	ClockOK   bool   `json:"clock_ok"`
	Format    string `json:"format"`
	Issuer    string `json:"issuer"`
	KID       string `json:"kid"`
	Serial    string `json:"serial"`
	Verdict   string `json:"verdict"`
	Reason    string `json:"reason"`
	Color     string `json:"color"`
	Name      string `json:"name"`
	IDTail    string `json:"id_tail"`
	Policy    uint64 `json:"policy"`
	Trust     uint64 `json:"trust"`
	LatencyUS int64  `json:"latency_us"`
	PrevHash  string `json:"prev_hash"`
	Hash      string `json:"hash"`
}

var logColumns = []string{"seq", "device", "venue", "time", "clock_ok", "format", "issuer", "kid", "serial",
	"verdict", "reason", "color", "name", "id_tail", "policy", "trust", "latency_us", "prev_hash", "hash"}

func newLogRow(r *terminal.Record) *logRow {
	return &logRow{
		Seq: r.Seq, Device: r.Device, Venue: r.Venue, Time: r.Time().Format(time.RFC3339Nano), ClockOK: r.ClockOK,
		Format: r.Format, Issuer: r.Issuer, KID: hex.EncodeToString(r.KID), Serial: hex.EncodeToString(r.Serial),
		Verdict: r.Verdict, Reason: string(r.Reason), Color: r.Color, Name: r.Name, IDTail: r.IDTail,
		Policy: r.Policy, Trust: r.Trust, LatencyUS: r.LatencyUS,
		PrevHash: hex.EncodeToString(r.PrevHash), Hash: hex.EncodeToString(r.Hash),
	}
}

func (w *logRow) strings() []string {
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	return []string{u(w.Seq), w.Device, w.Venue, w.Time, strconv.FormatBool(w.ClockOK), w.Format, w.Issuer, w.KID, w.Serial,
		w.Verdict, w.Reason, w.Color, w.Name, w.IDTail, u(w.Policy), u(w.Trust), strconv.FormatInt(w.LatencyUS, 10), w.PrevHash, w.Hash}
}

func (o *logOptions) export(e *env, s *boltstore.Store) error {
	emit, flush := o.exporter(e.stdout)
	err := s.Records(o.since.or(time.Time{}), func(r *terminal.Record) error { return emit(newLogRow(r)) })
	if ferr := flush(); ferr != nil {
		return ferr
	}
	return reportDamage(e, s, err)
}

// exporter returns the writer of one row in o.format and the function
// that finishes the output.
func (o *logOptions) exporter(w io.Writer) (emit func(*logRow) error, flush func() error) {
	if o.format == "jsonl" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return func(r *logRow) error { return enc.Encode(r) }, func() error { return nil }
	}
	cw := csv.NewWriter(w)
	header := false
	emit = func(r *logRow) error {
		if !header {
			header = true
			if err := cw.Write(logColumns); err != nil {
				return err
			}
		}
		return cw.Write(r.strings())
	}
	flush = func() error {
		if !header {
			cw.Write(logColumns)
		}
		cw.Flush()
		return cw.Error()
	}
	return emit, flush
}

func (o *logOptions) stats(e *env, s *boltstore.Store) error {
	st, err := s.Stats()
	var bad *boltstore.BadRecordsError
	if err != nil && !errors.As(err, &bad) {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "records %d\nlast_seq %d\nacked_seq %d\nbacklog %d\n", st.Total, st.LastSeq, st.AckedSeq, st.Backlog)
	oldest := "-"
	if !st.OldestUnsynced.IsZero() {
		oldest = st.OldestUnsynced.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "oldest_unsynced %s\nbytes %d\n", oldest, st.Bytes)
	if st.OverCap {
		fmt.Fprintln(w, "over_cap true (the file is past its size cap: sync and purge)")
	}
	for _, c := range []struct {
		name   string
		counts map[string]uint64
	}{{"verdict", st.ByVerdict}, {"reason", st.ByReason}} {
		keys := make([]string, 0, len(c.counts))
		for k := range c.counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s %s %d\n", c.name, k, c.counts[k])
		}
	}
	return reportDamage(e, s, err)
}
