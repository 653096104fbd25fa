package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

// Append assigns the records the next sequence numbers and their chain
// hashes, and writes them in one fsync'd transaction; it returns after the
// commit. Appends from other goroutines that arrive meanwhile share the
// next transaction. Append also raises the floor to the newest record time
// whose clock was trusted. Over MaxBytes it still writes and raises the
// alarm (see Stats.OverCap).
func (s *Store) Append(records ...*terminal.Record) error {
	if err := s.writable(); err != nil {
		return err
	}
	if s.opts.Device == "" {
		return ErrNoDevice
	}
	if len(records) == 0 {
		return nil
	}
	req := &appendReq{recs: records, err: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.reqs <- req
	s.mu.RUnlock()
	return <-req.err
}

// commit is the one goroutine that writes the log: it takes a request and
// every other one already queued, and commits them together.
func (s *Store) commit() {
	defer close(s.done)
	for req := range s.reqs {
		batch := []*appendReq{req}
	gather:
		for len(batch) < cap(s.reqs) {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		err := s.write(batch)
		for _, r := range batch {
			r.err <- err
		}
	}
}

func (s *Store) write(batch []*appendReq) error {
	var size int64
	var floor time.Time
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta, log := tx.Bucket(bucketMeta), tx.Bucket(bucketLog)
		seq, prev := getU64(meta, keyHeadSeq), meta.Get(keyHeadHash)
		if prev == nil {
			prev = zeroHash
		}
		prev = bytes.Clone(prev)
		base := seq
		floor = s.Floor()
		for _, req := range batch {
			for _, r := range req.recs {
				seq++
				r.Seq, r.PrevHash = seq, prev
				if r.Device == "" {
					r.Device = s.opts.Device
				}
				r.Hash = terminal.ChainHash(prev, r)
				v, err := cose.EncMode.Marshal(r)
				if err != nil {
					return err
				}
				if err := log.Put(u64(seq), v); err != nil {
					return err
				}
				prev = r.Hash
				if t := r.Time(); r.ClockOK && t.After(floor) {
					floor = t
				}
			}
		}
		if seq > s.seq.mark.reserved {
			// No seq is committed above the high-water mark on disk.
			if err := s.seq.write(base, seq+seqBlock); err != nil {
				return err
			}
		}
		if err := meta.Put(keyHeadSeq, u64(seq)); err != nil {
			return err
		}
		if err := meta.Put(keyHeadHash, prev); err != nil {
			return err
		}
		if err := s.putFloor(meta, floor); err != nil {
			return err
		}
		size = tx.Size()
		return nil
	})
	if err != nil {
		// Leave the records as they came: nothing was written.
		for _, req := range batch {
			for _, r := range req.recs {
				r.Seq, r.PrevHash, r.Hash = 0, nil, nil
			}
		}
		return fmt.Errorf("boltstore: append: %w", err)
	}
	s.stateMu.Lock()
	if floor.After(s.floor) {
		s.floor = floor
	}
	s.overCap = size > s.opts.MaxBytes
	s.stateMu.Unlock()
	if size > s.opts.MaxBytes {
		s.opts.Logger.Error("scan log over its size cap: records are still written, purge or sync them now",
			"path", s.path, "bytes", size, "max_bytes", s.opts.MaxBytes)
	}
	return nil
}

// Verify walks the chain from its anchor (the last purged record, or the
// start) and returns the number of records that pass and the head hash.
// At each record that was changed, removed or moved, or does not decode,
// it notes a *BadRecordError and carries on; the error it then returns
// is a *BadRecordsError listing them, oldest first. The gaps on record
// (see Gap) are skipped: the chain links over them.
func (s *Store) Verify() (n uint64, head []byte, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		c := newChain(tx, getU64(meta, keyAnchorSeq), meta.Get(keyAnchorHash))
		cur := tx.Bucket(bucketLog).Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			c.next(k, v)
		}
		c.end(meta)
		n, head = c.n, bytes.Clone(c.prev)
		return c.bad.orNil()
	})
	return n, head, err
}

func decode(v []byte) (*terminal.Record, error) {
	r := &terminal.Record{}
	if err := cose.DecMode.Unmarshal(v, r); err != nil {
		return nil, fmt.Errorf("does not decode: %w", err)
	}
	return r, nil
}

// Records calls fn with every record whose time is not before since, in
// sequence order, until fn returns an error, which Records returns. It
// carries on past records that do not decode and then returns a
// *BadRecordsError naming them.
func (s *Store) Records(since time.Time, fn func(*terminal.Record) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return eachRecord(tx, func(r *terminal.Record) error {
			if r.Time().Before(since) {
				return nil
			}
			return fn(r)
		})
	})
}

// eachRecord calls fn with each record of the log that decodes, until fn
// returns an error, and returns a *BadRecordsError naming those that do
// not.
func eachRecord(tx *bolt.Tx, fn func(*terminal.Record) error) error {
	var bad BadRecordsError
	c := tx.Bucket(bucketLog).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		r, err := decode(v)
		if err != nil {
			seq := uint64(0)
			if len(k) == 8 {
				seq = binary.BigEndian.Uint64(k)
			}
			bad.Records = append(bad.Records, &BadRecordError{Seq: seq, Reason: err.Error()})
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return bad.orNil()
}

// Stats is a summary of the log.
type Stats struct {
	Total     uint64            // records held and readable (purged ones not counted)
	ByVerdict map[string]uint64 // records by verdict
	ByReason  map[string]uint64 // records by reason
	LastSeq   uint64            // the newest record's seq, or the end of a Gap after it; 0 for none
	AckedSeq  uint64            // the outbox cursor
	Backlog   uint64            // LastSeq - AckedSeq: records not yet synced (and seqs skipped in a Gap)
	// OldestUnsynced is the time of the oldest record not yet
	// acknowledged; zero when there is none.
	OldestUnsynced time.Time
	Bytes          int64 // the database size as bbolt counts it (within a page or so of the file size)
	// OverCap is true when the file is over Options.MaxBytes.
	OverCap bool
}

// Stats counts the log's records. It carries on past records that do
// not decode and then returns the counts with a *BadRecordsError naming
// them.
func (s *Store) Stats() (*Stats, error) {
	st := &Stats{ByVerdict: map[string]uint64{}, ByReason: map[string]uint64{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		st.LastSeq = getU64(meta, keyHeadSeq)
		st.AckedSeq = getU64(tx.Bucket(bucketOutbox), keyAcked)
		st.Backlog = st.LastSeq - st.AckedSeq
		st.Bytes = tx.Size()
		return eachRecord(tx, func(r *terminal.Record) error {
			st.Total++
			st.ByVerdict[r.Verdict]++
			st.ByReason[string(r.Reason)]++
			if r.Seq > st.AckedSeq && st.OldestUnsynced.IsZero() {
				st.OldestUnsynced = r.Time()
			}
			return nil
		})
	})
	st.OverCap = st.Bytes > s.opts.MaxBytes
	return st, err
}

// Counters are the figures of the log that cost no scan: cheap enough for
// every metrics scrape.
type Counters struct {
	LastSeq  uint64 // the newest record's seq, or the end of a Gap after it; 0 for none
	AckedSeq uint64 // the outbox cursor
	Backlog  uint64 // LastSeq - AckedSeq: records not yet synced (and seqs skipped in a Gap)
	Bytes    int64  // the database size as bbolt counts it
	OverCap  bool   // Bytes is over Options.MaxBytes
}

// Counters returns the log's counters.
func (s *Store) Counters() (Counters, error) {
	var c Counters
	err := s.db.View(func(tx *bolt.Tx) error {
		c.LastSeq = getU64(tx.Bucket(bucketMeta), keyHeadSeq)
		c.AckedSeq = getU64(tx.Bucket(bucketOutbox), keyAcked)
		c.Backlog = c.LastSeq - c.AckedSeq
		c.Bytes = tx.Size()
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("boltstore: counters: %w", err)
	}
	c.OverCap = c.Bytes > s.opts.MaxBytes
	return c, nil
}

// Acked returns the outbox cursor: the highest seq the hub acknowledged.
func (s *Store) Acked() uint64 {
	var n uint64
	s.db.View(func(tx *bolt.Tx) error {
		n = getU64(tx.Bucket(bucketOutbox), keyAcked)
		return nil
	})
	return n
}

// Ack moves the outbox cursor to seq. A seq at or below the cursor is
// ignored; one above the newest record is an error.
func (s *Store) Ack(seq uint64) error {
	if err := s.writable(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		out := tx.Bucket(bucketOutbox)
		if seq <= getU64(out, keyAcked) {
			return nil
		}
		if last := getU64(tx.Bucket(bucketMeta), keyHeadSeq); seq > last {
			return fmt.Errorf("boltstore: ack %d: the log ends at %d", seq, last)
		}
		return out.Put(keyAcked, u64(seq))
	})
}

// Purge deletes the records that are both acknowledged and older than
// olderThan, oldest first, stopping at the first one that is not: the
// chain stays whole from the last purged record, whose hash becomes its
// anchor. Unacknowledged records are never purged.
func (s *Store) Purge(olderThan time.Time) (n int, err error) {
	if err := s.writable(); err != nil {
		return 0, err
	}
	var gaps []Gap
	var breaks []BadRecordError
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		acked := getU64(tx.Bucket(bucketOutbox), keyAcked)
		c := tx.Bucket(bucketLog).Cursor()
		var last *terminal.Record
		for k, v := c.First(); k != nil; k, v = c.First() {
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			if r.Seq > acked || !r.Time().Before(olderThan) {
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
			last, n = r, n+1
		}
		if last == nil {
			return nil
		}
		if err := meta.Put(keyAnchorSeq, u64(last.Seq)); err != nil {
			return err
		}
		if err := meta.Put(keyAnchorHash, last.Hash); err != nil {
			return err
		}
		gaps, breaks, err = forgetDamage(tx, last.Seq)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("boltstore: purge: %w", err)
	}
	if n > 0 {
		s.stateMu.Lock()
		s.damage.Gaps, s.damage.Breaks = gaps, breaks
		s.stateMu.Unlock()
	}
	return n, nil
}
