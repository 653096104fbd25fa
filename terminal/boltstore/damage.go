package boltstore

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fuscan/fuscan/terminal"
)

// Damage is what a Store knows to be wrong with its file: what Open
// found, and the gaps and breaks that earlier opens found and the file
// keeps on record until the records they concern are purged. The zero
// Damage is a sound store. A damaged store is still opened and used: the
// terminal keeps deciding, and reports the damage.
type Damage struct {
	// Meta lists the bbolt meta pages Open found invalid. bbolt then runs
	// on the other page, which may be a commit older: the newest commit,
	// acknowledged or not, is gone.
	Meta []string
	// Notes are other findings of Open: a store behind its seq file
	// (rolled back, or restored from an older copy), no seq file to bound
	// what a damaged meta page may have lost.
	Notes []string
	// Gaps are the seqs skipped so that none is used twice.
	Gaps []Gap
	// Breaks are the records at which the start-up check found the chain
	// broken: changed, missing, moved or unreadable.
	Breaks []BadRecordError
	// Copy is the copy of the file as this Open found it, set aside
	// before anything was written to it; "" when none was needed (nothing
	// new was found, or the store was opened read-only and left as it is).
	Copy string
}

// Gap is a run of seqs, From to To, that Open skipped after finding a
// damaged meta page or a store behind its seq file: records committed
// there before may have been lost, and no new record takes their seqs.
// The chain links over the gap.
type Gap struct {
	From, To uint64
	Found    time.Time // when Open skipped them
	Why      string
}

// Len returns the number of seqs in the gap.
func (g Gap) Len() uint64 { return g.To - g.From + 1 }

func (g Gap) String() string {
	return fmt.Sprintf("seqs %d-%d skipped at %s: records there may be lost (%s)",
		g.From, g.To, g.Found.UTC().Format(time.RFC3339), g.Why)
}

// Sound reports whether nothing is known to be wrong.
func (d *Damage) Sound() bool {
	return len(d.Meta) == 0 && len(d.Notes) == 0 && len(d.Gaps) == 0 && len(d.Breaks) == 0
}

// ChainOK reports whether the chain is known to be whole: no breaks on
// record. Gaps do not break it.
func (d *Damage) ChainOK() bool { return len(d.Breaks) == 0 }

// Skipped returns the number of seqs in the gaps.
func (d *Damage) Skipped() uint64 {
	var n uint64
	for _, g := range d.Gaps {
		n += g.Len()
	}
	return n
}

// Problems describes the damage, a sentence a finding, for a log or a
// health report; nil for a sound store.
func (d *Damage) Problems() []string {
	var out []string
	for _, m := range d.Meta {
		out = append(out, "store: "+m+"; bbolt runs on the other meta page, which may be a commit older")
	}
	out = append(out, d.Notes...)
	for _, g := range d.Gaps {
		out = append(out, "log: "+g.String())
	}
	for _, b := range d.Breaks {
		out = append(out, fmt.Sprintf("log: chain broken at seq %d: %s", b.Seq, b.Reason))
	}
	if d.Copy != "" && len(out) > 0 {
		out = append(out, "the file as found is kept at "+d.Copy)
	}
	return out
}

func (d *Damage) clone() Damage {
	c := *d
	c.Meta, c.Notes, c.Gaps, c.Breaks = slices.Clone(d.Meta), slices.Clone(d.Notes), slices.Clone(d.Gaps), slices.Clone(d.Breaks)
	return c
}

// BadRecordsError lists the bad records Verify, Records or Stats found
// and carried on past: every other record was still visited. errors.As
// finds the first *BadRecordError in it.
type BadRecordsError struct {
	Records []*BadRecordError
}

func (e *BadRecordsError) Error() string {
	if len(e.Records) == 1 {
		return e.Records[0].Error()
	}
	return fmt.Sprintf("%v (and %d more bad records)", e.Records[0], len(e.Records)-1)
}

// Unwrap returns the bad records, for errors.As.
func (e *BadRecordsError) Unwrap() []error {
	errs := make([]error, len(e.Records))
	for i, r := range e.Records {
		errs[i] = r
	}
	return errs
}

// orNil returns e, or nil when it lists nothing.
func (e *BadRecordsError) orNil() error {
	if len(e.Records) == 0 {
		return nil
	}
	return e
}

// The damage the file keeps on record: gaps by first seq (value: last
// seq, time found in Unix microseconds, why), breaks by seq (value: the
// reason), and the start-up check's checkpoint.
var (
	bucketGaps   = []byte("gaps")
	bucketBreaks = []byte("breaks")

	keyCheckedSeq  = []byte("checked_seq")
	keyCheckedHash = []byte("checked_hash")
)

func putGap(tx *bolt.Tx, g Gap) error {
	v := binary.BigEndian.AppendUint64(u64(g.To), uint64(g.Found.UnixMicro()))
	return tx.Bucket(bucketGaps).Put(u64(g.From), append(v, g.Why...))
}

// loadGaps returns the gaps on record: nil when the bucket does not exist
// (a store made before gaps, opened read-only).
func loadGaps(tx *bolt.Tx) []Gap {
	var gaps []Gap
	if b := tx.Bucket(bucketGaps); b != nil {
		b.ForEach(func(k, v []byte) error {
			if len(k) == 8 && len(v) >= 16 {
				gaps = append(gaps, Gap{From: binary.BigEndian.Uint64(k), To: binary.BigEndian.Uint64(v),
					Found: time.UnixMicro(int64(binary.BigEndian.Uint64(v[8:]))).UTC(), Why: string(v[16:])})
			}
			return nil
		})
	}
	return gaps
}

func loadBreaks(tx *bolt.Tx) []BadRecordError {
	var breaks []BadRecordError
	if b := tx.Bucket(bucketBreaks); b != nil {
		b.ForEach(func(k, v []byte) error {
			if len(k) == 8 {
				breaks = append(breaks, BadRecordError{Seq: binary.BigEndian.Uint64(k), Reason: string(v)})
			}
			return nil
		})
	}
	return breaks
}

// chain checks records against the hash chain in seq order, carrying on
// past a bad one: after it, the next record is checked against its own
// hash only.
type chain struct {
	want uint64            // the seq the next record should have
	prev []byte            // the hash it should link to; nil when unknown
	gaps map[uint64]uint64 // skipped runs, first seq to last
	n    uint64            // records that passed
	bad  BadRecordsError
}

// newChain starts a chain check after seq, whose hash is prev (nil: the
// zero hash of the start).
func newChain(tx *bolt.Tx, seq uint64, prev []byte) *chain {
	c := &chain{want: seq + 1, prev: prev, gaps: map[uint64]uint64{}}
	if c.prev == nil {
		c.prev = zeroHash
	}
	for _, g := range loadGaps(tx) {
		c.gaps[g.From] = g.To
	}
	return c
}

func (c *chain) fail(seq uint64, format string, args ...any) {
	c.bad.Records = append(c.bad.Records, &BadRecordError{Seq: seq, Reason: fmt.Sprintf(format, args...)})
	c.prev = nil
}

func (c *chain) skipGaps() {
	for to, ok := c.gaps[c.want]; ok && to >= c.want; to, ok = c.gaps[c.want] {
		c.want = to + 1
	}
}

// next checks the log entry k, v and returns its record, or nil when it
// does not decode.
func (c *chain) next(k, v []byte) *terminal.Record {
	c.skipGaps()
	if len(k) != 8 {
		c.fail(c.want, "bad key %x", k)
		return nil
	}
	seq := binary.BigEndian.Uint64(k)
	if seq != c.want {
		c.fail(c.want, "missing (next is %d)", seq)
	}
	c.want = seq + 1
	r, err := decode(v)
	switch {
	case err != nil:
		c.fail(seq, "%v", err)
		return nil
	case r.Seq != seq:
		c.fail(seq, "holds record %d", r.Seq)
		return r
	case c.prev != nil && !bytes.Equal(r.PrevHash, c.prev):
		c.fail(seq, "previous hash does not match")
	case !bytes.Equal(terminal.ChainHash(r.PrevHash, r), r.Hash):
		c.fail(seq, "hash does not match its content")
	default:
		c.n++
	}
	c.prev = r.Hash
	return r
}

// end checks that the walk reached the head the store recorded.
func (c *chain) end(meta *bolt.Bucket) {
	c.skipGaps()
	head, hash := getU64(meta, keyHeadSeq), meta.Get(keyHeadHash)
	switch {
	case head >= c.want:
		c.fail(c.want, "missing (log ends before %d)", head)
	case c.prev != nil && hash != nil && !bytes.Equal(c.prev, hash):
		c.fail(c.want-1, "not the head the store recorded")
	}
}

// resume reads the seq file and, when a meta page is damaged or the store
// is behind the seq file, skips the seqs that may have been used, so that
// none is used twice; read-write, it records the gap and keeps the seq
// file at or above the head. It runs in Open's first transaction, so that
// no commit overwrites a damaged meta page before the gap is on record.
func (s *Store) resume(tx *bolt.Tx, key []byte) error {
	meta := tx.Bucket(bucketMeta)
	head := getU64(meta, keyHeadSeq)
	sf, found, problem, err := openSeqFile(s.path+SeqFileSuffix, storeID(key), s.opts.ReadOnly, s.opts.NoSync)
	if err != nil {
		return err
	}
	s.seq = sf
	switch {
	case problem != nil:
		s.opts.Logger.Warn("seq file unreadable: seqs continue from the store's own head", "path", s.path+SeqFileSuffix, "err", problem)
	case !found && head > 0:
		s.opts.Logger.Warn("no seq file beside the store (a copy, or a store older than seq files): seqs continue from the store's own head",
			"path", s.path+SeqFileSuffix, "head_seq", head)
	}
	var why string
	if len(s.damage.Meta) > 0 {
		why = "a meta page is damaged: bbolt may have rolled back commits"
	}
	if found && sf.mark.base > head {
		why = fmt.Sprintf("the store's newest seq %d is below %d, which its seq file says was committed: "+
			"the store was rolled back or restored from an older copy", head, sf.mark.base)
		s.damage.Notes = append(s.damage.Notes, "store: "+why)
	}
	switch {
	case why == "":
	case !found:
		s.damage.Notes = append(s.damage.Notes, "store: no seq file to bound the seqs a damaged meta page may have lost: "+
			"only the hub's highest seq for this device can tell")
	case sf.mark.reserved > head:
		g := Gap{From: head + 1, To: sf.mark.reserved, Found: s.opts.Now().UTC().Truncate(time.Microsecond), Why: why}
		if s.opts.ReadOnly {
			g.Why += "; opened read-only: a terminal opening the store skips them"
		} else {
			s.setAside()
			if err := putGap(tx, g); err != nil {
				return err
			}
			if err := meta.Put(keyHeadSeq, u64(g.To)); err != nil {
				return err
			}
			head = g.To
		}
		s.damage.Gaps = append(s.damage.Gaps, g)
	}
	if !s.opts.ReadOnly && (!found || sf.mark.reserved < head) {
		return sf.write(head, head)
	}
	return nil
}

// checkChain walks the chain from the checkpoint (or the anchor, if
// purging passed it) to the head, records the breaks it finds, and moves
// the checkpoint to the head: each start reads back the records written
// since the last one. A full walk is Verify.
func (s *Store) checkChain() error {
	var found []BadRecordError
	err := s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		from, prev := getU64(meta, keyAnchorSeq), meta.Get(keyAnchorHash)
		if cp := getU64(meta, keyCheckedSeq); cp > from {
			from, prev = cp, meta.Get(keyCheckedHash)
		}
		c := newChain(tx, from, prev)
		cur := tx.Bucket(bucketLog).Cursor()
		for k, v := cur.Seek(u64(from + 1)); k != nil; k, v = cur.Next() {
			c.next(k, v)
		}
		c.end(meta)
		known := loadBreaks(tx)
		for _, b := range c.bad.Records {
			if !slices.Contains(known, *b) {
				found = append(found, *b)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("boltstore: check the chain: %w", err)
	}
	if len(found) > 0 {
		s.setAside()
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta, breaks := tx.Bucket(bucketMeta), tx.Bucket(bucketBreaks)
		for _, b := range found {
			if err := breaks.Put(u64(b.Seq), []byte(b.Reason)); err != nil {
				return err
			}
		}
		hash := meta.Get(keyHeadHash)
		if hash == nil {
			hash = zeroHash
		}
		if err := meta.Put(keyCheckedSeq, u64(getU64(meta, keyHeadSeq))); err != nil {
			return err
		}
		return meta.Put(keyCheckedHash, hash)
	})
	if err != nil {
		return fmt.Errorf("boltstore: check the chain: %w", err)
	}
	return nil
}

// loadDamage reads the gaps and breaks on record into s.damage, keeping
// those this Open found but could not record (read-only).
func (s *Store) loadDamage(tx *bolt.Tx) {
	for _, g := range loadGaps(tx) {
		if !slices.ContainsFunc(s.damage.Gaps, func(h Gap) bool { return h.From == g.From }) {
			s.damage.Gaps = append(s.damage.Gaps, g)
		}
	}
	s.damage.Breaks = loadBreaks(tx)
	slices.SortFunc(s.damage.Gaps, func(a, b Gap) int { return cmp.Compare(a.From, b.From) })
}

// forgetDamage drops the gaps and breaks at or below the anchor seq,
// whose records are purged, and returns what is left on record.
func forgetDamage(tx *bolt.Tx, anchor uint64) (gaps []Gap, breaks []BadRecordError, err error) {
	for _, g := range loadGaps(tx) {
		if g.To > anchor {
			gaps = append(gaps, g)
		} else if err := tx.Bucket(bucketGaps).Delete(u64(g.From)); err != nil {
			return nil, nil, err
		}
	}
	for _, b := range loadBreaks(tx) {
		if b.Seq > anchor {
			breaks = append(breaks, b)
		} else if err := tx.Bucket(bucketBreaks).Delete(u64(b.Seq)); err != nil {
			return nil, nil, err
		}
	}
	return gaps, breaks, nil
}

// Damage returns what the store knows to be wrong with its file.
func (s *Store) Damage() Damage {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.damage.clone()
}

// reportDamage logs the damage at error level, a line a finding.
func (s *Store) reportDamage() {
	if s.damage.Sound() {
		return
	}
	s.opts.Logger.Error("store damaged: the terminal keeps working; the hub's copy of the log and the copy kept of the file are the evidence",
		"path", s.path, "problems", strings.Join(s.damage.Problems(), "; "))
}
