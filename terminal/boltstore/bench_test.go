package boltstore

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fuscan/fuscan/terminal"
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
	for i := range 100 {
		batch := make([]*terminal.Record, 100)
		for j := range batch {
			batch[j] = record(i*100 + j)
		}
		if err := s.Append(batch...); err != nil {
			b.Fatal(err)
		}
	}
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
