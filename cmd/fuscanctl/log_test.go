package main

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
)

// logAt is the time of the i-th record of makeLog.
func logAt(i int) time.Time { return time.Date(2026, 3, 1, 9, i, 0, 0, time.UTC) }

// makeLog writes a store of n records in a temporary directory, with the
// first acked of them acknowledged, and returns its path.
func makeLog(t *testing.T, n int, acked uint64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "terminal.db")
	s, err := boltstore.Open(path, &boltstore.Options{Device: "gate-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	verdicts := []string{"pass", "deny", "pass"}
	reasons := []terminal.Reason{terminal.OK, terminal.Expired, terminal.OK}
	for i := range n {
		r := &terminal.Record{Venue: "v", TimeUS: logAt(i).UnixMicro(), ClockOK: true, Format: "card",
			Verdict: verdicts[i%3], Reason: reasons[i%3], Name: "张*", IDTail: "1234"}
		if err := s.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Ack(acked); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLogVerify(t *testing.T) {
	path := makeLog(t, 5, 0)
	out := mustRun(t, "", "log", "verify", "--db", path)
	if !regexpMatch(`^ok 5 records head=[0-9a-f]{64}\n$`, out) {
		t.Errorf("got %q, want ok 5 records head=HEX", out)
	}

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("log")).Delete(binaryKey(3)) })
	db.Close()
	r := fuscanctl(t, "", "log", "verify", "--db", path)
	if r.code != exitFailure || !strings.Contains(r.stderr, "seq 3") || r.stdout != "" {
		t.Errorf("tampered: exit %d stdout %q stderr %q; want exit 1 naming seq 3", r.code, r.stdout, r.stderr)
	}
}

func binaryKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

func TestLogExport(t *testing.T) {
	path := makeLog(t, 4, 0)
	out := mustRun(t, "", "log", "export", "--db", path, "--since", logAt(1).Format(time.RFC3339))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("jsonl since minute 1: got %d lines, want 3:\n%s", len(lines), out)
	}
	var row logRow
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
		t.Fatal(err)
	}
	if row.Seq != 2 || row.Verdict != "deny" || row.Reason != "EXPIRED" || row.Device != "gate-1" || len(row.Hash) != 64 {
		t.Errorf("first row %+v, want seq 2 deny EXPIRED on gate-1", row)
	}

	out = mustRun(t, "", "log", "export", "--db", path, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || strings.Join(rows[0], ",") != strings.Join(logColumns, ",") || rows[4][0] != "4" {
		t.Errorf("csv: got %v, want a header and 4 rows", rows)
	}
}

func TestLogStats(t *testing.T) {
	path := makeLog(t, 6, 2)
	out := mustRun(t, "", "log", "stats", "--db", path)
	for _, want := range []string{"records 6\n", "backlog 4\n", "acked_seq 2\n", "oldest_unsynced " + logAt(2).Format(time.RFC3339) + "\n",
		"verdict deny 2\n", "verdict pass 4\n", "reason EXPIRED 2\n", "reason OK 4\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lacks %q:\n%s", want, out)
		}
	}
}

func TestLogUsage(t *testing.T) {
	path := makeLog(t, 1, 0)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no subcommand", []string{"log", "--db", path}, exitUsage},
		{"unknown subcommand", []string{"log", "dump", "--db", path}, exitUsage},
		{"no db", []string{"log", "verify"}, exitUsage},
		{"bad format", []string{"log", "export", "--db", path, "--format", "xml"}, exitUsage},
		{"since on verify", []string{"log", "verify", "--db", path, "--since", "2026-03-01T00:00:00Z"}, exitUsage},
		{"missing file", []string{"log", "stats", "--db", filepath.Join(t.TempDir(), "none.db")}, exitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := fuscanctl(t, "", tt.args...); r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tt.code, r.stderr)
			}
		})
	}
}

// TestLogWhileOpen pins down bbolt's locking: while a writer (fuscand)
// holds the file, a read-only open waits for --timeout and fails, saying
// how to get a copy from the running terminal.
func TestLogWhileOpen(t *testing.T) {
	path := makeLog(t, 1, 0)
	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := fuscanctl(t, "", "log", "verify", "--db", path, "--timeout", "100ms")
	if r.code != exitFailure || !bytes.Contains([]byte(r.stderr), []byte("locked")) ||
		!bytes.Contains([]byte(r.stderr), []byte("/backup > copy.db && fuscanctl log verify --db copy.db")) {
		t.Errorf("exit %d stderr %q; want exit 1, locked, and the /backup hint", r.code, r.stderr)
	}
}

// TestLogUnreadableRecord: export and stats carry on past a record that
// does not decode, name it on stderr and exit 1; verify names it too.
func TestLogUnreadableRecord(t *testing.T) {
	path := makeLog(t, 6, 0)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("log")).Put(binaryKey(3), []byte("rot")) })
	db.Close()

	r := fuscanctl(t, "", "log", "export", "--db", path)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 5 || r.code != exitFailure ||
		!strings.Contains(r.stderr, "seq 3: does not decode") {
		t.Errorf("export: exit %d, %d rows, stderr %q; want exit 1, the 5 other rows, seq 3 named", r.code, len(lines), r.stderr)
	}
	r = fuscanctl(t, "", "log", "export", "--db", path, "--format", "csv")
	if rows, _ := csv.NewReader(strings.NewReader(r.stdout)).ReadAll(); len(rows) != 6 || r.code != exitFailure {
		t.Errorf("csv export: exit %d, %d rows; want exit 1, a header and 5 rows", r.code, len(rows))
	}
	r = fuscanctl(t, "", "log", "stats", "--db", path)
	if r.code != exitFailure || !strings.Contains(r.stdout, "records 5\n") || !strings.Contains(r.stdout, "last_seq 6\n") ||
		!strings.Contains(r.stderr, "seq 3: does not decode") {
		t.Errorf("stats: exit %d stdout %q stderr %q; want exit 1, 5 records counted, seq 3 named", r.code, r.stdout, r.stderr)
	}
	r = fuscanctl(t, "", "log", "verify", "--db", path)
	if r.code != exitFailure || r.stdout != "" || !strings.Contains(r.stderr, "seq 3: does not decode") ||
		!strings.Contains(r.stderr, "5 records pass") {
		t.Errorf("verify: exit %d stdout %q stderr %q; want exit 1 naming seq 3, the 5 others passing", r.code, r.stdout, r.stderr)
	}
}

// TestLogTruncated: a store cut short is refused, with a copy kept, and
// never read past its end (bbolt would: SIGBUS, the end of fuscanctl).
func TestLogTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.db")
	s, err := boltstore.Open(path, &boltstore.Options{Device: "gate-1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		batch := make([]*terminal.Record, 100)
		for i := range batch {
			batch[i] = &terminal.Record{Venue: "v", TimeUS: logAt(i).UnixMicro(), Verdict: "pass", Reason: terminal.OK}
		}
		if err := s.Append(batch...); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := os.Getpagesize()
	for _, size := range []int{len(whole) / 2 / page * page, len(whole)/2 + 100} {
		path := filepath.Join(t.TempDir(), "terminal.db")
		os.WriteFile(path, whole[:size], 0o600)
		for _, sub := range []string{"verify", "export", "stats"} {
			r := fuscanctl(t, "", "log", sub, "--db", path)
			if r.code != exitFailure || !strings.Contains(r.stderr, "truncated") || !strings.Contains(r.stderr, "copy kept at") {
				t.Errorf("%s of %d of %d bytes: exit %d stderr %q; want exit 1, truncated, copy kept", sub, size, len(whole), r.code, r.stderr)
			}
		}
	}
}

// TestLogDamagedMeta: with the newest meta page damaged, bbolt reads the
// state a commit older; verify says so and exits 1.
func TestLogDamagedMeta(t *testing.T) {
	path := makeLog(t, 7, 0)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := int(binary.NativeEndian.Uint32(b[16+8:]))
	txid := func(i int) uint64 { return binary.NativeEndian.Uint64(b[i*page+16+48:]) }
	newest := 0
	if txid(1) > txid(0) {
		newest = 1
	}
	copy(b[newest*page+16+16:], "\xde\xad\xbe\xef")
	os.WriteFile(path, b, 0o600)
	r := fuscanctl(t, "", "log", "verify", "--db", path)
	t.Logf("meta: %d %q\n%s", r.code, r.stdout, r.stderr)
	if r.code != exitFailure || r.stdout != "" || !strings.Contains(r.stderr, fmt.Sprintf("meta page %d: checksum mismatch", newest)) {
		t.Errorf("verify: exit %d stdout %q stderr %q; want exit 1 naming meta page %d", r.code, r.stdout, r.stderr, newest)
	}
}
