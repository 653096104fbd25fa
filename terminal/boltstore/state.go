package boltstore

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Floor returns the latest time this terminal has trusted: a clock below
// it is not to be trusted. It suits terminal.Options.Floor.
func (s *Store) Floor() time.Time {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.floor
}

// RaiseFloor raises the floor to t; a t at or below it is ignored.
func (s *Store) RaiseFloor(t time.Time) error {
	if err := s.writable(); err != nil {
		return err
	}
	if !t.After(s.Floor()) {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error { return s.putFloor(tx.Bucket(bucketMeta), t) })
	if err != nil {
		return fmt.Errorf("boltstore: raise floor: %w", err)
	}
	s.stateMu.Lock()
	if t.After(s.floor) {
		s.floor = t.UTC().Truncate(time.Microsecond)
	}
	s.stateMu.Unlock()
	return nil
}

// putFloor writes t as the floor unless the stored one is later.
func (s *Store) putFloor(meta *bolt.Bucket, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	us := t.UnixMicro()
	if v := meta.Get(keyFloor); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) >= us {
		return nil
	}
	return meta.Put(keyFloor, u64(uint64(us)))
}

// replayPurgeEvery is how many Seen calls pass between purges of expired
// replay entries.
const replayPurgeEvery = 256

// Seen implements terminal.Replays durably: it records key as presented
// until the instant until and reports whether it was already recorded and
// not yet expired at now. Now and then it deletes the expired entries.
func (s *Store) Seen(key []byte, until, now time.Time) (bool, error) {
	if err := s.writable(); err != nil {
		return false, err
	}
	s.stateMu.Lock()
	s.seen++
	purge := s.seen%replayPurgeEvery == 0
	s.stateMu.Unlock()
	var seen bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReplay)
		if purge {
			if err := purgeReplays(b, now); err != nil {
				return err
			}
		}
		if v := b.Get(key); len(v) == 8 && now.UnixMicro() < int64(binary.BigEndian.Uint64(v)) {
			seen = true
			return nil
		}
		return b.Put(key, u64(uint64(until.UnixMicro())))
	})
	if err != nil {
		return false, fmt.Errorf("boltstore: replay: %w", err)
	}
	return seen, nil
}

func purgeReplays(b *bolt.Bucket, now time.Time) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; {
		if len(v) == 8 && now.UnixMicro() < int64(binary.BigEndian.Uint64(v)) {
			k, v = c.Next()
			continue
		}
		if err := c.Delete(); err != nil {
			return err
		}
		k, v = c.Seek(k)
	}
	return nil
}

// PutTrust replaces the trust data of kind (keys, revocations, policy...)
// with data at version, in one transaction: a reader sees the old or the
// new, never a mix.
func (s *Store) PutTrust(kind string, version uint64, data []byte) error {
	return s.PutTrusts(TrustEntry{Kind: kind, Version: version, Data: data})
}

// Trust returns the trust data of kind and its version, or ErrNotFound.
func (s *Store) Trust(kind string) (version uint64, data []byte, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTrust).Get([]byte(kind))
		if len(v) < 8 {
			return fmt.Errorf("%w: trust %s", ErrNotFound, kind)
		}
		version, data = binary.BigEndian.Uint64(v), append([]byte(nil), v[8:]...)
		return nil
	})
	return version, data, err
}
