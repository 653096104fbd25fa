package boltstore

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fuscan/fuscan/terminal"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// openTest opens a store in a fresh temporary directory, closed at the
// end of the test.
func openTest(tb testing.TB, opts *Options) *Store {
	tb.Helper()
	return openAt(tb, filepath.Join(tb.TempDir(), "terminal.db"), opts)
}

func openAt(tb testing.TB, path string, opts *Options) *Store {
	tb.Helper()
	if opts == nil {
		opts = &Options{Device: "dev-1"}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// record returns the i-th sample record, i minutes after t0.
func record(i int) *terminal.Record {
	verdicts := []string{"pass", "pass", "warn", "deny", "refer"}
	reasons := []terminal.Reason{"OK", "OK", "COLOR_YELLOW", "EXPIRED", "CLOCK_UNTRUSTED"}
	v := i % len(verdicts)
	return &terminal.Record{
		Venue: "venue-1", TimeUS: t0.Add(time.Duration(i) * time.Minute).UnixMicro(), ClockOK: reasons[v] != "CLOCK_UNTRUSTED",
		Format: "card", Issuer: "350000", Verdict: verdicts[v], Reason: reasons[v], Color: "green", Name: "张*", IDTail: "1234",
	}
}

func appendN(tb testing.TB, s *Store, from, n int) {
	tb.Helper()
	for i := from; i < from+n; i++ {
		if err := s.Append(record(i)); err != nil {
			tb.Fatalf("Append %d: %v", i, err)
		}
	}
}

// appendBatches appends n batches of size records each.
func appendBatches(tb testing.TB, s *Store, n, size int) {
	tb.Helper()
	for i := range n {
		batch := make([]*terminal.Record, size)
		for j := range batch {
			batch[j] = record(i*size + j)
		}
		if err := s.Append(batch...); err != nil {
			tb.Fatal(err)
		}
	}
}

// closedStore writes batches of size records each to a new store, an
// Append (one fsync'd commit) a batch, closes it and returns its path.
func closedStore(tb testing.TB, batches, size int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "terminal.db")
	s := openAt(tb, path, nil)
	appendBatches(tb, s, batches, size)
	s.Close()
	return path
}

func mustVerify(tb testing.TB, s *Store, want uint64) []byte {
	tb.Helper()
	n, head, err := s.Verify()
	if err != nil || n != want {
		tb.Fatalf("Verify = %d, %v; want %d, nil", n, err, want)
	}
	return head
}

func TestAppendVerifyReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.db")
	s := openAt(t, path, nil)
	appendN(t, s, 0, 5)
	recs := []*terminal.Record{record(5), record(6)}
	if err := s.Append(recs...); err != nil {
		t.Fatal(err)
	}
	if recs[1].Seq != 7 || !bytes.Equal(recs[1].PrevHash, recs[0].Hash) {
		t.Errorf("batch got seq %d prev %x, want 7 and %x", recs[1].Seq, recs[1].PrevHash, recs[0].Hash)
	}
	head := mustVerify(t, s, 7)
	if !bytes.Equal(head, recs[1].Hash) {
		t.Errorf("head %x, want %x", head, recs[1].Hash)
	}
	key := s.SerialKey()
	s.Close()

	s = openAt(t, path, &Options{})
	if s.Device() != "dev-1" || !bytes.Equal(s.SerialKey(), key) {
		t.Errorf("after reopen device %q key changed %v", s.Device(), !bytes.Equal(s.SerialKey(), key))
	}
	appendN(t, s, 7, 3)
	mustVerify(t, s, 10)
	var seqs []uint64
	err := s.Records(time.Time{}, func(r *terminal.Record) error {
		seqs = append(seqs, r.Seq)
		if r.Device != "dev-1" || r.Name != "张*" {
			t.Errorf("record %d: device %q name %q", r.Seq, r.Device, r.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, seq := range seqs {
		if seq != uint64(i+1) {
			t.Fatalf("seqs %v, want 1..10 without gaps", seqs)
		}
	}
	var since int
	s.Records(t0.Add(8*time.Minute), func(*terminal.Record) error { since++; return nil })
	if since != 2 {
		t.Errorf("Records since minute 8: got %d, want 2", since)
	}
}

func TestOpenDeviceMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.db")
	openAt(t, path, nil).Close()
	if s, err := Open(path, &Options{Device: "dev-2"}); err == nil {
		s.Close()
		t.Fatal("Open with another device id succeeded")
	}
}

// rawUpdate changes the closed store at path with bbolt directly.
func rawUpdate(t *testing.T, path string, fn func(log *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(bucketLog)) }); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyTampered(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(log *bolt.Bucket) error
		want   uint64
	}{
		{"flip a byte", func(log *bolt.Bucket) error {
			v := bytes.Clone(log.Get(u64(4)))
			v[len(v)/2] ^= 0x01
			return log.Put(u64(4), v)
		}, 4},
		{"change the verdict", func(log *bolt.Bucket) error {
			v := bytes.Replace(log.Get(u64(3)), []byte("warn"), []byte("pass"), 1)
			return log.Put(u64(3), v)
		}, 3},
		{"delete a record", func(log *bolt.Bucket) error { return log.Delete(u64(5)) }, 5},
		{"delete the last record", func(log *bolt.Bucket) error { return log.Delete(u64(8)) }, 8},
		{"delete the first record", func(log *bolt.Bucket) error { return log.Delete(u64(1)) }, 1},
		{"swap two records", func(log *bolt.Bucket) error {
			a, b := bytes.Clone(log.Get(u64(6))), bytes.Clone(log.Get(u64(7)))
			if err := log.Put(u64(6), b); err != nil {
				return err
			}
			return log.Put(u64(7), a)
		}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := closedStore(t, 8, 1)
			rawUpdate(t, path, tt.tamper)
			s := openAt(t, path, nil)
			_, _, err := s.Verify()
			var bad *BadRecordError
			if !errors.As(err, &bad) || bad.Seq != tt.want {
				t.Fatalf("Verify: got %v, want BadRecordError for seq %d", err, tt.want)
			}
		})
	}
}

func TestConcurrentAppend(t *testing.T) {
	s := openTest(t, nil)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := s.Append(record(w*each + i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	mustVerify(t, s, workers*each)
	if st, _ := s.Stats(); st.LastSeq != workers*each {
		t.Errorf("LastSeq %d, want %d", st.LastSeq, workers*each)
	}
}

func TestAckStats(t *testing.T) {
	s := openTest(t, nil)
	appendN(t, s, 0, 10)
	if err := s.Ack(4); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(2); err != nil || s.Acked() != 4 {
		t.Errorf("Ack(2) after Ack(4): err %v, acked %d; want nil, 4", err, s.Acked())
	}
	if err := s.Ack(11); err == nil {
		t.Error("Ack past the last seq succeeded")
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 10 || st.LastSeq != 10 || st.AckedSeq != 4 || st.Backlog != 6 || st.OverCap {
		t.Errorf("Stats %+v, want total 10 last 10 acked 4 backlog 6", st)
	}
	if want := record(4).Time(); !st.OldestUnsynced.Equal(want) {
		t.Errorf("OldestUnsynced %v, want %v", st.OldestUnsynced, want)
	}
	if st.ByVerdict["pass"] != 4 || st.ByVerdict["deny"] != 2 || st.ByReason["CLOCK_UNTRUSTED"] != 2 {
		t.Errorf("ByVerdict %v ByReason %v", st.ByVerdict, st.ByReason)
	}
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c.LastSeq != 10 || c.AckedSeq != 4 || c.Backlog != 6 || c.Bytes != st.Bytes || c.OverCap {
		t.Errorf("Counters %+v, want last 10 acked 4 backlog 6 bytes %d", c, st.Bytes)
	}
}

func TestPurge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.db")
	s := openAt(t, path, nil)
	appendN(t, s, 0, 10)
	if err := s.Ack(6); err != nil {
		t.Fatal(err)
	}
	// Older than minute 8 are records 1..8; only 1..6 are acknowledged.
	n, err := s.Purge(t0.Add(8 * time.Minute))
	if err != nil || n != 6 {
		t.Fatalf("Purge = %d, %v; want 6, nil", n, err)
	}
	head := mustVerify(t, s, 4)
	s.Close()
	s = openAt(t, path, nil)
	if got := mustVerify(t, s, 4); !bytes.Equal(got, head) {
		t.Errorf("head after reopen %x, want %x", got, head)
	}
	appendN(t, s, 10, 2)
	mustVerify(t, s, 6)
	if n, _ := s.Purge(t0.Add(time.Hour)); n != 0 {
		t.Errorf("Purge of unacknowledged records deleted %d", n)
	}
	st, _ := s.Stats()
	if st.Total != 6 || st.LastSeq != 12 || st.Backlog != 6 {
		t.Errorf("Stats %+v, want total 6 last 12 backlog 6", st)
	}
}

func TestSeen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.db")
	s := openAt(t, path, nil)
	until := t0.Add(90 * time.Second)
	steps := []struct {
		key  string
		now  time.Time
		want bool
	}{
		{"a", t0, false},
		{"a", t0.Add(time.Second), true},
		{"b", t0.Add(time.Second), false},
		{"a", until, false}, // expired: recorded afresh
	}
	for _, st := range steps {
		got, err := s.Seen([]byte(st.key), until, st.now)
		if err != nil || got != st.want {
			t.Errorf("Seen(%s, %v) = %v, %v; want %v", st.key, st.now, got, err, st.want)
		}
	}
	s.Close()
	s = openAt(t, path, nil)
	if got, _ := s.Seen([]byte("b"), until, t0.Add(2*time.Second)); !got {
		t.Error("Seen forgot b across reopen")
	}
	// Enough calls to purge: expired entries go, live ones stay.
	for i := range replayPurgeEvery {
		s.Seen([]byte(strconv.Itoa(i)), t0.Add(time.Minute), t0)
	}
	for range replayPurgeEvery {
		s.Seen([]byte("x"), t0.Add(time.Hour), t0.Add(30*time.Minute))
	}
	var left int
	s.db.View(func(tx *bolt.Tx) error { left = tx.Bucket(bucketReplay).Stats().KeyN; return nil })
	if left != 1 {
		t.Errorf("%d replay entries left after purge, want 1", left)
	}
}

func TestFloor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.db")
	s := openAt(t, path, nil)
	if !s.Floor().IsZero() {
		t.Errorf("new store floor %v, want zero", s.Floor())
	}
	appendN(t, s, 0, 5) // record 4 has an untrusted clock
	if want := record(3).Time(); !s.Floor().Equal(want) {
		t.Errorf("floor after append %v, want %v (newest trusted)", s.Floor(), want)
	}
	if err := s.RaiseFloor(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.RaiseFloor(t0)
	s.Append(record(6))
	s.Close()
	s = openAt(t, path, nil)
	if want := t0.Add(time.Hour); !s.Floor().Equal(want) {
		t.Errorf("floor after reopen %v, want %v", s.Floor(), want)
	}
}

func TestTrust(t *testing.T) {
	s := openTest(t, nil)
	if _, _, err := s.Trust("keys"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Trust of nothing: %v, want ErrNotFound", err)
	}
	s.PutTrust("keys", 1, []byte("old"))
	s.PutTrust("keys", 2, []byte("new"))
	if v, data, err := s.Trust("keys"); v != 2 || string(data) != "new" || err != nil {
		t.Errorf("Trust = %d, %q, %v; want 2, new, nil", v, data, err)
	}
}

func TestOverCap(t *testing.T) {
	s := openTest(t, &Options{Device: "d", MaxBytes: 1})
	if err := s.Append(record(0)); err != nil {
		t.Fatalf("Append over the cap: %v, want it written", err)
	}
	if st, _ := s.Stats(); !st.OverCap || st.Total != 1 {
		t.Errorf("Stats %+v, want OverCap and the record kept", st)
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.db")
	openAt(t, path, nil).Close()
	s := openAt(t, path, &Options{ReadOnly: true})
	if err := s.Append(record(0)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Append read-only: %v, want ErrReadOnly", err)
	}
	mustVerify(t, s, 0)
	if _, err := Open(filepath.Join(t.TempDir(), "none.db"), &Options{ReadOnly: true}); err == nil {
		t.Error("read-only Open of a missing file succeeded")
	}
}

func TestOpenForeign(t *testing.T) {
	random := make([]byte, 64<<10)
	rand.Read(random)
	tests := []struct {
		name string
		make func(path string) error
	}{
		{"random bytes", func(path string) error { return os.WriteFile(path, random, 0o600) }},
		{"bbolt, other buckets", func(path string) error {
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				return err
			}
			defer db.Close()
			return db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket([]byte("widgets"))
				if err != nil {
					return err
				}
				return b.Put([]byte("k"), []byte("v"))
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "terminal.db")
			if err := tt.make(path); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			s, err := Open(path, &Options{Device: "d"})
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, ErrForeign) {
				t.Fatalf("Open: %v, want ErrForeign", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("Open changed the foreign file")
			}
			copies, _ := filepath.Glob(path + ".corrupt-*")
			if len(copies) != 1 {
				t.Fatalf("copies set aside: %v, want one", copies)
			}
			if kept, _ := os.ReadFile(copies[0]); !bytes.Equal(kept, before) {
				t.Error("the copy differs from the file")
			}
		})
	}
}

func TestOpenCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.db")
	s := openAt(t, path, nil)
	appendN(t, s, 0, 200)
	s.Close()
	data, _ := os.ReadFile(path)
	// Past the two meta pages and the freelist: scribble over data pages.
	page := os.Getpagesize()
	for i := 4 * page; i < len(data); i += 97 {
		data[i] ^= 0xa5
	}
	os.WriteFile(path, data, 0o600)
	s, err := Open(path, nil)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a scribbled store: %v, want ErrCorrupt", err)
	}
	t.Logf("Open: %.300v", err)
	if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
		t.Error("Open changed the corrupt file")
	}
	if copies, _ := filepath.Glob(path + ".corrupt-*"); len(copies) != 1 {
		t.Errorf("copies set aside: %v, want one", copies)
	}
}

// crashEnv names the store a re-executed test binary appends to until it
// is killed.
const crashEnv = "FUSCAN_BOLTSTORE_CRASH_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	os.Exit(m.Run())
}

// crashChild appends from four goroutines and prints each seq once its
// Append has returned, until killed.
func crashChild(path string) {
	s, err := Open(path, &Options{Device: "dev-1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				r := record(w*1_000_000 + i)
				if err := s.Append(r); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(4)
				}
				mu.Lock()
				fmt.Fprintln(out, r.Seq)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills subprocesses")
	}
	path := filepath.Join(t.TempDir(), "terminal.db")
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var reported uint64
		first, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				n, err := strconv.ParseUint(sc.Text(), 10, 64)
				if err == nil && reported == 0 {
					close(first)
				}
				if err == nil && n > reported {
					reported = n
				}
			}
		}()
		// Kill at a random moment once the child is appending.
		select {
		case <-first:
		case <-done:
		case <-time.After(30 * time.Second):
		}
		wait, _ := rand.Int(rand.Reader, big.NewInt(300))
		time.Sleep(time.Duration(wait.Int64()) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		<-done
		cmd.Wait()
		if reported == 0 {
			t.Fatalf("round %d: the child reported nothing; stderr: %s", round, stderr.Bytes())
		}

		s, err := Open(path, nil)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		n, _, err := s.Verify()
		st, _ := s.Stats()
		s.Close()
		if err != nil {
			t.Fatalf("round %d: Verify: %v", round, err)
		}
		if n != st.LastSeq || st.LastSeq < reported {
			t.Fatalf("round %d: %d records, last seq %d; the child reported seq %d done", round, n, st.LastSeq, reported)
		}
		t.Logf("round %d: killed after seq %d reported, %d records", round, reported, n)
	}
}

// TestBackup copies a store that is open for writing: the copy opens as a
// store of its own, with the same chain.
func TestBackup(t *testing.T) {
	s := openTest(t, nil)
	appendN(t, s, 0, 25)
	_, head, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Backup(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || n == 0 {
		t.Fatalf("Backup = %d, %v", n, err)
	}
	appendN(t, s, 25, 1) // the original goes on
	c := openAt(t, path, &Options{ReadOnly: true})
	got, chead, err := c.Verify()
	if err != nil || got != 25 || !bytes.Equal(chead, head) {
		t.Errorf("copy: %d records head %x (%v); want 25, head %x", got, chead, err, head)
	}
	if c.Device() != "dev-1" {
		t.Errorf("copy's device %q, want dev-1", c.Device())
	}
}
