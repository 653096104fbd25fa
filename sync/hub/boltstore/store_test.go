package boltstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/hubtest"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func open(t testing.TB, path string, opts *Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// put stores the records of device, n of them.
func put(t testing.TB, s *Store, device string, n int) []*terminal.Record {
	t.Helper()
	recs := hubtest.NewLog(device, "v-"+device).Next(n)
	err := s.Update(func(tx hub.Tx) error {
		for _, r := range recs {
			raw, err := cose.EncMode.Marshal(r)
			if err != nil {
				return err
			}
			if err := tx.PutRecord(r, raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestReopen: what one Update stored is there after the file is closed
// and opened again.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "d1", 5)
	err = s.Update(func(tx hub.Tx) error {
		d := &hub.Device{ID: "d1", Venue: "v", Records: 5, Held: hub.Ranges{{1, 5}}, ChainOK: true}
		if err := tx.PutDevice(d); err != nil {
			return err
		}
		if err := tx.AddReport(&hub.Report{Device: "d1", Received: t0, Report: wire.Report{Kind: "policy", Reason: "APPLIED"}}); err != nil {
			return err
		}
		return tx.PutRetained(&hub.Retained{Topic: "fuscan/v1/t/updates/policy", Kind: "policy", Version: 3, Target: "all",
			Digest: [32]byte{1, 2}, Posted: t0, Data: []byte("bundle")})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, path, nil)
	err = s.View(func(tx hub.Tx) error {
		d, err := tx.Device("d1")
		if err != nil || d == nil || d.Records != 5 || d.Held[0] != [2]uint64{1, 5} {
			t.Errorf("device %+v %v", d, err)
		}
		if d, _ := tx.Device("d9"); d != nil {
			t.Errorf("unknown device: %+v", d)
		}
		if raw, _ := tx.Record("d1", 3); raw == nil {
			t.Error("record 3 is gone")
		}
		if raw, _ := tx.Record("d1", 6); raw != nil {
			t.Error("record 6 exists")
		}
		if rs, _ := tx.Reports("d1", 10); len(rs) != 1 || rs[0].Reason != "APPLIED" || !rs[0].Received.Equal(t0) {
			t.Errorf("reports %+v", rs)
		}
		b, err := tx.Retained("fuscan/v1/t/updates/policy")
		if err != nil || b == nil || b.Version != 3 || string(b.Data) != "bundle" || b.Digest[1] != 2 {
			t.Errorf("retained %+v %v", b, err)
		}
		if all, _ := tx.RetainedAll(); len(all) != 1 {
			t.Errorf("%d retained, want 1", len(all))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpdateFails(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "hub.db"), nil)
	boom := errors.New("boom")
	err := s.Update(func(tx hub.Tx) error {
		tx.PutDevice(&hub.Device{ID: "d1"})
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	s.View(func(tx hub.Tx) error {
		if d, _ := tx.Device("d1"); d != nil {
			t.Error("a failed Update kept a write")
		}
		return nil
	})
	if err := s.View(func(tx hub.Tx) error { return tx.PutDevice(&hub.Device{ID: "d1"}) }); err == nil {
		t.Error("a write in View: no error")
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err })
	db.Close()
	if _, err := Open(path, nil); !errors.Is(err, ErrForeign) {
		t.Errorf("another program's bbolt file: %v, want ErrForeign", err)
	}
	path = filepath.Join(dir, "hub.db")
	open(t, path, nil)
	if _, err := Open(path, &Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("a file in use: %v, want ErrLocked", err)
	}
}

// TestScansShortPages: with a small MaxScanned, a selective query comes
// back in short pages that together hold every match.
func TestScansShortPages(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "hub.db"), &Options{MaxScanned: 7})
	put(t, s, "d1", 60)
	put(t, s, "d2", 60)
	for _, q := range []hub.ScanQuery{{Verdict: "deny"}, {Device: "d2", Verdict: "deny"}, {Verdict: "deny", Limit: 5}} {
		n, pages := 0, 0
		for {
			var scans []hub.Scan
			var next string
			err := s.View(func(tx hub.Tx) (err error) {
				scans, next, err = tx.Scans(q)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			n, pages = n+len(scans), pages+1
			if q.After = next; next == "" {
				break
			}
		}
		want := 12 * 2
		if q.Device != "" {
			want = 12
		}
		if n != want || pages < 2 {
			t.Errorf("%+v: %d scans in %d pages, want %d in several", q, n, pages, want)
		}
	}
}

func TestReportsKept(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "hub.db"), &Options{MaxReports: 3})
	for i := range 5 {
		for _, dev := range []string{"d1", "d2"} {
			err := s.Update(func(tx hub.Tx) error {
				return tx.AddReport(&hub.Report{Device: dev, Received: t0.Add(time.Duration(i) * time.Minute), Report: wire.Report{Version: uint64(i)}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	s.View(func(tx hub.Tx) error {
		rs, _ := tx.Reports("d1", 100)
		if len(rs) != 3 || rs[0].Version != 4 || rs[2].Version != 2 {
			t.Errorf("d1's reports: %d, newest %+v; want the newest 3", len(rs), rs[0])
		}
		all, _ := tx.Reports("", 4)
		if len(all) != 4 || all[0].Version != 4 || all[3].Version != 3 {
			t.Errorf("every device's newest 4: %+v", all)
		}
		return nil
	})
}

func FuzzScansCursor(f *testing.F) {
	s := open(f, filepath.Join(f.TempDir(), "hub.db"), &Options{NoSync: true})
	put(f, s, "d1", 20)
	var next string
	s.View(func(tx hub.Tx) (err error) {
		_, next, err = tx.Scans(hub.ScanQuery{Limit: 3})
		return err
	})
	f.Add(next, "")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAA", "d1")
	f.Fuzz(func(t *testing.T, after, device string) {
		s.View(func(tx hub.Tx) error {
			scans, _, err := tx.Scans(hub.ScanQuery{After: after, Device: device, Limit: 5})
			if err != nil && !errors.Is(err, hub.ErrCursor) {
				t.Errorf("cursor %q: %v", after, err)
			}
			if len(scans) > 5 {
				t.Errorf("%d scans, limit 5", len(scans))
			}
			return nil
		})
	})
}

// BenchmarkCommit is one batch of 2000 records in one fsync'd
// transaction, as the hub commits it.
func BenchmarkCommit(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "hub.db"), nil)
	log := hubtest.NewLog("d1", "v")
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		recs := log.Next(2000)
		raws := hubtest.Raw(b, recs)
		b.StartTimer()
		err := s.Update(func(tx hub.Tx) error {
			for j, r := range recs {
				if err := tx.PutRecord(r, raws[j]); err != nil {
					return err
				}
			}
			return tx.PutDevice(&hub.Device{ID: fmt.Sprint("d", i%2)})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*2000)/b.Elapsed().Seconds(), "records/s")
}
