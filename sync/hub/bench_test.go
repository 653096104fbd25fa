package hub

import (
	"testing"

	"github.com/fuscan/fuscan/sync/hub/hubtest"
)

// BenchmarkDecodeScans is the hub's first look at a batch of 2000
// records: inflate, decode, and each record's hash checked.
func BenchmarkDecodeScans(b *testing.B) {
	data := hubtest.Batch(b, "d1", hubtest.NewLog("d1", "v").Next(2000))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if m := decodeScans("d1", data); m.err != nil {
			b.Fatal(m.err)
		}
	}
	b.ReportMetric(float64(b.N*2000)/b.Elapsed().Seconds(), "records/s")
}
