package hub_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/fuscan/fuscan/sync/hub/hubtest"
)

// BenchmarkIngest has 20 devices drain 2000-record batches at once into
// a hub and its embedded broker in this process, each batch acknowledged
// after the fsync'd commit; it reports records a second and the heap in
// use after the run. cmd/fuscan-hub's BenchmarkHub measures the same with
// the hub in a process of its own.
func BenchmarkIngest(b *testing.B) {
	const devices, batch, window = 20, 2000, 2
	e := embedded(b, settings{})
	type dev struct {
		d   *hubtest.Device
		log *hubtest.Log
	}
	var fleet []dev
	for i := range devices {
		id := fmt.Sprintf("gate-%02d", i)
		fleet = append(fleet, dev{e.connect(b, id, ""), hubtest.NewLog(id, "hall")})
	}
	perDevice := max(b.N/devices, 1)
	var batches [devices][][]byte
	var lasts [devices][]uint64
	for i, f := range fleet {
		for left := perDevice * batch; left > 0; left -= batch {
			batches[i] = append(batches[i], hubtest.Batch(b, f.d.ID, f.log.Next(min(left, batch))))
			lasts[i] = append(lasts[i], f.log.Seq())
		}
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, f := range fleet {
		wg.Go(func() {
			if err := f.d.Send(batches[i], lasts[i], window, time.Minute); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(devices*perDevice*batch)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap_MB")
	b.ReportMetric(0, "ns/op")
}
