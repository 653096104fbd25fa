package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Pending returns the records after seq, oldest first, as the log holds
// them (CBOR, the bytes the hash chain covers): at most max records and
// about maxBytes (always at least one when there is one), and the seq of
// the last one returned. It is what the uplink sends; a read transaction
// never blocks appends.
func (s *Store) Pending(after uint64, max, maxBytes int) (records [][]byte, last uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketLog).Cursor()
		size := 0
		for k, v := c.Seek(u64(after + 1)); k != nil && len(records) < max; k, v = c.Next() {
			if len(records) > 0 && size+len(v) > maxBytes {
				break
			}
			records = append(records, bytes.Clone(v))
			size += len(v)
			last = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("boltstore: pending: %w", err)
	}
	return records, last, nil
}

// OldestUnsynced returns the time of the oldest record the hub has not
// acknowledged, and false when there is none. It reads one record.
func (s *Store) OldestUnsynced() (time.Time, bool) {
	var at time.Time
	var ok bool
	s.db.View(func(tx *bolt.Tx) error {
		acked := getU64(tx.Bucket(bucketOutbox), keyAcked)
		_, v := tx.Bucket(bucketLog).Cursor().Seek(u64(acked + 1))
		if v == nil {
			return nil
		}
		if r, err := decode(v); err == nil {
			at, ok = r.Time(), true
		}
		return nil
	})
	return at, ok
}

// TrustEntry is one kind of trust data, for PutTrusts.
type TrustEntry struct {
	Kind    string
	Version uint64
	Data    []byte
}

// PutTrusts replaces the trust data of several kinds in one transaction:
// a reader, and the file after a crash, hold all of them or none.
func (s *Store) PutTrusts(entries ...TrustEntry) error {
	if err := s.writable(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTrust)
		for _, e := range entries {
			if err := b.Put([]byte(e.Kind), append(u64(e.Version), e.Data...)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("boltstore: put trust: %w", err)
	}
	return nil
}

// SkipTo makes seq the log's head when the log ends below it, recording
// the seqs in between as a Gap (see Damage): the hub holds records up to
// seq for this device that this log has lost (a damaged or restored
// store), and no new record may take their seqs. The chain links over the
// gap. It returns the gap, or a zero Gap when the log already reaches seq.
func (s *Store) SkipTo(seq uint64, why string) (Gap, error) {
	if err := s.writable(); err != nil {
		return Gap{}, err
	}
	var g Gap
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		head := getU64(meta, keyHeadSeq)
		if seq <= head {
			return nil
		}
		g = Gap{From: head + 1, To: seq, Found: s.opts.Now().UTC().Truncate(time.Microsecond), Why: why}
		if seq > s.seq.mark.reserved {
			if err := s.seq.write(head, seq+seqBlock); err != nil {
				return err
			}
		}
		if err := putGap(tx, g); err != nil {
			return err
		}
		return meta.Put(keyHeadSeq, u64(seq))
	})
	if err != nil {
		return Gap{}, fmt.Errorf("boltstore: skip to %d: %w", seq, err)
	}
	if g.To != 0 {
		s.stateMu.Lock()
		s.damage.Gaps = append(s.damage.Gaps, g)
		s.stateMu.Unlock()
		s.opts.Logger.Error("log behind the hub: seqs skipped", "gap", g.String())
	}
	return g, nil
}
