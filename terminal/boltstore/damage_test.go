package boltstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fuscan/fuscan/terminal"
)

// damageMeta changes 4 bytes of a meta page of the closed store at path:
// the newest one (the higher transaction) or the older one.
func damageMeta(t *testing.T, path string, newest bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := readMetaPages(bytes.NewReader(data), int64(len(data)))
	if err != nil || m.invalid() != nil {
		t.Fatalf("meta pages before the damage: %v %v", err, m.invalid())
	}
	i := 0
	if (m.page[1].txid > m.page[0].txid) == newest {
		i = 1
	}
	at := int64(i)*m.pageSize + pageHeaderSize + 16 // the root bucket's page
	for j := range int64(4) {
		data[at+j] ^= 0x5a
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// copies returns the copies set aside beside path.
func copies(t *testing.T, path string) []string {
	t.Helper()
	c, err := filepath.Glob(path + ".corrupt-*")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOpenDamagedMeta: with one meta page damaged, bbolt runs on the
// other, possibly a commit older. Open keeps a copy, reports the damage,
// and skips the seqs the seq file says may have been used: no seq is used
// twice, and the chain still verifies over the gap. After a clean Close
// the seq file's mark is the head; after a power cut it is up to 1024
// ahead.
func TestOpenDamagedMeta(t *testing.T) {
	for _, tt := range []struct {
		name     string
		newest   bool
		powerCut bool
		kept     uint64 // records bbolt still has
		gap      Gap    // skipped
	}{
		{"newest page", true, false, 6, Gap{From: 7, To: 7}}, // the 7th append's commit is gone
		{"older page", false, false, 7, Gap{}},
		{"newest page after a power cut", true, true, 6, Gap{From: 7, To: 1 + seqBlock}},
		{"older page after a power cut", false, true, 7, Gap{From: 8, To: 1 + seqBlock}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "terminal.db")
			s := openAt(t, path, nil)
			appendN(t, s, 0, 7)
			if tt.powerCut {
				// The files as a power cut leaves them: every commit
				// fsync'd, the seq file's mark ahead.
				dir := t.TempDir()
				for _, name := range []string{"", SeqFileSuffix} {
					if err := copyFile(path+name, filepath.Join(dir, "terminal.db"+name)); err != nil {
						t.Fatal(err)
					}
				}
				s.Close()
				path = filepath.Join(dir, "terminal.db")
			}
			s.Close()
			damageMeta(t, path, tt.newest)
			damaged, _ := os.ReadFile(path)
			var gaps []Gap
			if tt.gap.To != 0 {
				gaps = []Gap{tt.gap}
			}
			sameGaps := func(got []Gap) bool {
				return len(got) == len(gaps) && (len(got) == 0 || got[0].From == gaps[0].From && got[0].To == gaps[0].To)
			}

			// Read-only, as fuscanctl log verify: reported, nothing written.
			ro := openAt(t, path, &Options{ReadOnly: true})
			if d := ro.Damage(); len(d.Meta) != 1 || !sameGaps(d.Gaps) || d.Copy != "" {
				t.Errorf("read-only Damage = %+v, want one meta page, the gap %+v it would skip, no copy", d, gaps)
			}
			ro.Close()

			s = openAt(t, path, nil)
			d := s.Damage()
			if len(d.Meta) != 1 || d.Sound() || !sameGaps(d.Gaps) {
				t.Fatalf("Damage = %+v, want one invalid meta page, gaps %+v", d, gaps)
			}
			if kept, err := os.ReadFile(d.Copy); err != nil || !bytes.Equal(kept, damaged) {
				t.Errorf("copy %q: %v; want the damaged file as it was", d.Copy, err)
			}
			r := record(7)
			if err := s.Append(r); err != nil {
				t.Fatal(err)
			}
			if want := max(tt.kept, tt.gap.To) + 1; r.Seq != want {
				t.Errorf("the next record got seq %d, want %d: past every seq used before", r.Seq, want)
			}
			mustVerify(t, s, tt.kept+1)
			s.Close()

			// Once bbolt has written over the damaged page, the gap is
			// what is left on record.
			s = openAt(t, path, nil)
			if d := s.Damage(); len(d.Meta) != 0 || !sameGaps(d.Gaps) || d.Copy != "" {
				t.Errorf("after reopen Damage = %+v, want the gaps %+v only", d, gaps)
			}
			if n := len(copies(t, path)); n != 1 {
				t.Errorf("%d copies set aside, want 1", n)
			}
			mustVerify(t, s, tt.kept+1)
		})
	}
}

// TestOpenTruncated: a file cut short, at a page boundary or not, is
// refused before bbolt maps it (bbolt would read past its end: SIGBUS).
func TestOpenTruncated(t *testing.T) {
	whole, _ := os.ReadFile(closedStore(t, 50, 100))
	page := int64(os.Getpagesize())
	for _, tt := range []struct {
		name string
		size int64
	}{
		{"half, page-aligned", int64(len(whole)) / 2 / page * page},
		{"half, not aligned", int64(len(whole))/2 + 100},
		{"within the second meta page", page + 100},
		{"within the first page", 3000},
	} {
		for _, ro := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, read-only %v", tt.name, ro), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "terminal.db")
				cut := whole[:tt.size]
				os.WriteFile(path, cut, 0o600)
				s, err := Open(path, &Options{ReadOnly: ro})
				if err == nil {
					s.Close()
				}
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated") {
					t.Fatalf("Open (read-only %v): %v, want ErrCorrupt naming the truncation", ro, err)
				}
				if after, _ := os.ReadFile(path); !bytes.Equal(after, cut) {
					t.Error("Open changed the file")
				}
				if n := len(copies(t, path)); n != 1 {
					t.Errorf("%d copies set aside, want 1", n)
				}
			})
		}
	}
}

// putRaw replaces the value of record seq in the closed store at path.
func putRaw(t *testing.T, path string, seq uint64, v []byte) {
	t.Helper()
	rawUpdate(t, path, func(log *bolt.Bucket) error { return log.Put(u64(seq), v) })
}

// TestUnreadableRecord: Records, Stats and Verify carry on past a record
// that does not decode, and name it.
func TestUnreadableRecord(t *testing.T) {
	path := closedStore(t, 6, 1)
	putRaw(t, path, 3, []byte{0xff, 0x00, 0x13})
	s := openAt(t, path, &Options{ReadOnly: true})
	wantBad := func(what string, err error) {
		t.Helper()
		var bad *BadRecordsError
		if !errors.As(err, &bad) || len(bad.Records) != 1 || bad.Records[0].Seq != 3 {
			t.Errorf("%s: %v, want a BadRecordsError naming record 3", what, err)
		}
	}
	var seqs []uint64
	err := s.Records(t0, func(r *terminal.Record) error { seqs = append(seqs, r.Seq); return nil })
	wantBad("Records", err)
	if len(seqs) != 5 || seqs[2] != 4 {
		t.Errorf("Records visited %v, want 1 2 4 5 6", seqs)
	}
	st, err := s.Stats()
	wantBad("Stats", err)
	if st.Total != 5 || st.LastSeq != 6 {
		t.Errorf("Stats = %+v, want 5 records, last seq 6", st)
	}
	n, _, err := s.Verify()
	wantBad("Verify", err)
	if n != 5 {
		t.Errorf("Verify passed %d records, want the 5 others", n)
	}
}

// TestStartCheck: a read-write Open walks the chain from its checkpoint,
// keeps the breaks on record (one copy set aside per new break), and the
// store keeps working.
func TestStartCheck(t *testing.T) {
	path := closedStore(t, 6, 1)
	putRaw(t, path, 3, []byte("not cbor"))

	s := openAt(t, path, nil)
	d := s.Damage()
	if d.ChainOK() || len(d.Breaks) != 1 || d.Breaks[0].Seq != 3 || d.Copy == "" {
		t.Fatalf("Damage = %+v, want a break at 3 and a copy", d)
	}
	r := record(6)
	if err := s.Append(r); err != nil || r.Seq != 7 {
		t.Fatalf("Append after the break: seq %d, %v; want 7", r.Seq, err)
	}
	s.Close()

	s = openAt(t, path, nil)
	if d := s.Damage(); len(d.Breaks) != 1 || d.Copy != "" {
		t.Errorf("after reopen Damage = %+v, want the break on record and no new copy", d)
	}
	appendN(t, s, 7, 2) // seqs 8 and 9
	s.Close()
	if n := len(copies(t, path)); n != 1 {
		t.Errorf("%d copies, want 1", n)
	}

	// A record written since the last start is read back at the next.
	putRaw(t, path, 8, []byte("also not cbor"))
	s = openAt(t, path, nil)
	if d := s.Damage(); len(d.Breaks) != 2 || d.Breaks[1].Seq != 8 || d.Copy == "" {
		t.Errorf("Damage = %+v, want breaks at 3 and 8 and a new copy", d)
	}
}

// TestPurgeForgetsDamage: once the records a gap or break concerns are
// acknowledged and purged, the store is sound again.
func TestPurgeForgetsDamage(t *testing.T) {
	path := closedStore(t, 7, 1)
	damageMeta(t, path, true)
	s := openAt(t, path, nil)
	appendN(t, s, 7, 2)
	if err := s.Ack(s.Damage().Gaps[0].To + 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Purge(t0.Add(8 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if d := s.Damage(); len(d.Gaps) != 0 {
		t.Errorf("after purging past the gap, Damage = %+v, want no gap", d)
	}
	mustVerify(t, s, 1)
}

// TestSeqFile: the seq file may be missing, damaged or another store's:
// Open carries on from the store's own head. A store behind its seq file
// (restored from an older copy) skips the seqs that may have been used.
func TestSeqFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.db")
	s := openAt(t, path, nil)
	appendN(t, s, 0, 3)
	if s.seq.mark.reserved != 1+seqBlock {
		t.Errorf("reserved %d after 3 records, want %d", s.seq.mark.reserved, 1+seqBlock)
	}
	s.Close()
	backup, _ := os.ReadFile(path)

	for _, tt := range []struct {
		name string
		make func(seqPath string) error
	}{
		{"missing", os.Remove},
		{"garbage", func(p string) error { return os.WriteFile(p, bytes.Repeat([]byte{0xa5}, 1024), 0o600) }},
		{"another store's", func(p string) error {
			other := filepath.Join(t.TempDir(), "other.db")
			o := openAt(t, other, &Options{Device: "dev-9", NoSync: true})
			appendBatches(t, o, 2, 1000)
			o.Close()
			b, err := os.ReadFile(other + SeqFileSuffix)
			if err != nil {
				return err
			}
			return os.WriteFile(p, b, 0o600)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.make(path + SeqFileSuffix); err != nil {
				t.Fatal(err)
			}
			s := openAt(t, path, nil)
			if d := s.Damage(); !d.Sound() {
				t.Errorf("Damage = %+v, want none", d)
			}
			r := record(3)
			if err := s.Append(r); err != nil || r.Seq != 4 {
				t.Errorf("Append: seq %d, %v; want 4", r.Seq, err)
			}
			s.Close()
			os.WriteFile(path, backup, 0o600)
		})
	}

	// After a clean Close, the seq file's mark is the head: a store
	// restored from an older copy is behind it.
	os.Remove(path + SeqFileSuffix) // the last subtest's, of a store with 4 records
	s = openAt(t, path, nil)
	appendN(t, s, 3, 10)
	s.Close()
	os.WriteFile(path, backup, 0o600) // restored from the copy of 3 records
	s = openAt(t, path, nil)
	d := s.Damage()
	if len(d.Notes) != 1 || len(d.Gaps) != 1 || d.Gaps[0].From != 4 || d.Gaps[0].To != 13 || d.Copy == "" {
		t.Fatalf("Damage = %+v, want a note, seqs 4-13 skipped and a copy", d)
	}
	r := record(0)
	if err := s.Append(r); err != nil || r.Seq != 14 {
		t.Errorf("Append: seq %d, %v; want 14", r.Seq, err)
	}
}

// TestSeqFileTornSlot: a torn write of the newest slot leaves the older
// one, which was written before any seq above it was used.
func TestSeqFileTornSlot(t *testing.T) {
	id := storeID([]byte("key"))
	b := make([]byte, 2*seqSlotStride)
	copy(b, seqMark{gen: 1, base: 0, reserved: 1025}.encode(id))
	copy(b[seqSlotStride:], seqMark{gen: 2, base: 1030, reserved: 2054}.encode(id))
	if m, ok, err := readSeqMark(b, id); !ok || err != nil || m.reserved != 2054 {
		t.Errorf("both slots: %+v %v %v, want reserved 2054", m, ok, err)
	}
	b[seqSlotStride+30] ^= 1
	if m, ok, err := readSeqMark(b, id); !ok || err != nil || m.reserved != 1025 {
		t.Errorf("newest slot torn: %+v %v %v, want the older slot's 1025", m, ok, err)
	}
	if _, ok, err := readSeqMark(b, storeID([]byte("other"))); ok || err == nil {
		t.Errorf("another store's file: found %v, err %v; want not found, with the reason", ok, err)
	}
}

// TestSkipTo: a log behind the hub's witness skips to it; the next record
// takes the seq after, the chain links over the gap, and Damage says so.
func TestSkipTo(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "terminal.db"), &Options{Device: "d1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendN(t, s, 0, 3)
	if g, err := s.SkipTo(2, "hub"); err != nil || g.To != 0 {
		t.Fatalf("SkipTo below the head: %v %v, want nothing", g, err)
	}
	g, err := s.SkipTo(10, "the hub holds records up to 10")
	if err != nil || g.From != 4 || g.To != 10 {
		t.Fatalf("SkipTo(10) = %v, %v; want a gap 4-10", g, err)
	}
	appendN(t, s, 3, 1)
	if c, _ := s.Counters(); c.LastSeq != 11 {
		t.Errorf("next record is seq %d, want 11", c.LastSeq)
	}
	if n, _, err := s.Verify(); err != nil || n != 4 {
		t.Errorf("Verify = %d, %v; want 4 records and a whole chain", n, err)
	}
	if d := s.Damage(); len(d.Gaps) != 1 || d.Skipped() != 7 {
		t.Errorf("Damage = %+v", d)
	}
}
