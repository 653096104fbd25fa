package boltstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkAppend is one durable decision at a time: one fsync each.
func BenchmarkAppend(b *testing.B) {
	s := openTest(b, nil)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := s.Append(record(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}

// BenchmarkAppendParallel is many lanes deciding at once: their appends
// share transactions (group commit).
func BenchmarkAppendParallel(b *testing.B) {
	s := openTest(b, nil)
	b.SetParallelism(16)
	var i atomic.Int64
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Append(record(int(i.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
}

// BenchmarkVerify walks a chain of 10000 records.
func BenchmarkVerify(b *testing.B) {
	s := openTest(b, nil)
	appendBatches(b, s, 100, 100)
	for b.Loop() {
		if _, _, err := s.Verify(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeen is one dynamic-code presentation: one fsync'd transaction.
func BenchmarkSeen(b *testing.B) {
	s := openTest(b, nil)
	until := t0.Add(90 * time.Second)
	for i := 0; b.Loop(); i++ {
		if _, err := s.Seen([]byte(strconv.Itoa(i)), until, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartCheck measures the chain check of a read-write Open on a
// log of 150 000 records: tail=150000 walks it all (no checkpoint yet, as
// after an upgrade), tail=1000 the records since a checkpoint 1000 back,
// tail=0 none. open is the whole Open and Close of that store, with the
// checkpoint at the head: the meta pages, the page walk, bbolt's check.
func BenchmarkStartCheck(b *testing.B) {
	const total = 150_000
	path := filepath.Join(b.TempDir(), "terminal.db")
	s := openAt(b, path, &Options{Device: "dev-1", NoSync: true})
	appendBatches(b, s, total/1000, 1000)
	// checkpoint puts the checkpoint at seq.
	checkpoint := func(seq uint64) {
		err := s.db.Update(func(tx *bolt.Tx) error {
			hash := zeroHash
			if seq > 0 {
				r, err := decode(tx.Bucket(bucketLog).Get(u64(seq)))
				if err != nil {
					return err
				}
				hash = r.Hash
			}
			meta := tx.Bucket(bucketMeta)
			if err := meta.Put(keyCheckedSeq, u64(seq)); err != nil {
				return err
			}
			return meta.Put(keyCheckedHash, hash)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, tail := range []uint64{total, 1000, 0} {
		b.Run(fmt.Sprintf("tail=%d", tail), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				checkpoint(total - tail)
				b.StartTimer()
				if err := s.checkChain(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	s.Close()
	if info, err := os.Stat(path); err == nil {
		b.Logf("%d records, %d MiB", total, info.Size()>>20)
	}
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			s, err := Open(path, &Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
}
