package e2e_test

import (
	"bufio"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	core "github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
)

// backlog writes n records of device into a new store in dir, as a
// terminal offline for weeks leaves it.
func backlog(b *testing.B, dir, device string, n int) {
	b.Helper()
	s, err := boltstore.Open(filepath.Join(dir, "terminal.db"), &boltstore.Options{Device: device, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	at := time.Now().Add(-24 * time.Hour)
	for done := 0; done < n; {
		recs := make([]*core.Record, 0, 2000)
		for i := 0; i < 2000 && done+i < n; i++ {
			recs = append(recs, &core.Record{Device: device, Venue: "v1", TimeUS: at.Add(time.Duration(done+i) * time.Second).UnixMicro(),
				ClockOK: true, Format: "card", Issuer: "350000", KID: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Serial: make([]byte, 32),
				Verdict: "pass", Reason: core.OK, Color: "green", Name: "张**", IDTail: "1234", Policy: 1, Trust: 1, LatencyUS: 3000})
		}
		if err := s.Append(recs...); err != nil {
			b.Fatal(err)
		}
		done += len(recs)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDrain measures the sync issue's target: a 150 000-record
// backlog (30 days at a busy entrance) drained from fuscand to fuscan-hub
// through Mosquitto, the hub committing (fsync) before each ack, from the
// moment fuscand runs (s/drain; s/start is the process start before it,
// which opens the store and checks its chain); next to it, in the same
// run, the raw rate of plain paho QoS 1 publishes of single 200-byte
// records to the same broker.
func BenchmarkDrain(b *testing.B) {
	const n = 150_000
	m := newMosquitto(b)
	m.start(b)
	h := newHub(b, "--broker", m.url())
	h.start(b)
	for range b.N {
		id := fmt.Sprintf("gate-%d", time.Now().UnixNano()%1_000_000)
		d := newTerminal(b, id, m.url(), writeTemp(b, "pw"))
		backlog(b, d.data, id, n)
		began := time.Now()
		d.start(b) // until /healthz answers: the store is open and checked
		running := time.Now()
		waitFor(b, "the backlog at the hub", func() bool { return h.device(b, id).Records == n })
		took := time.Since(running)
		b.ReportMetric(running.Sub(began).Seconds(), "s/start")
		waitFor(b, "the terminal's cursor at its head", func() bool { hl, _ := d.health(); return hl.Backlog == 0 })
		b.ReportMetric(took.Seconds(), "s/drain")
		b.ReportMetric(n/took.Seconds(), "records/s")
		d.stop(b)
	}
	b.ReportMetric(rawPublishRate(b, m.url(), 30_000), "raw-paho-qos1/s")
}

// rawPublishRate publishes n single 200-byte messages with QoS 1 and
// waits for every PUBACK, returning messages a second.
func rawPublishRate(b *testing.B, broker string, n int) float64 {
	b.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("raw-bench"))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(100)
	payload := []byte(strings.Repeat("r", 200))
	toks := make([]mqtt.Token, n)
	began := time.Now()
	for i := range toks {
		toks[i] = c.Publish("bench/raw", 1, false, payload)
	}
	for _, tok := range toks {
		tok.Wait()
	}
	return float64(n) / time.Since(began).Seconds()
}

// BenchmarkDrainLatency measures what draining costs the people at the
// camera: fuscand decides the demo camera's frames (30 a second, every
// sighting decided) while a 150 000-record backlog drains to the hub
// through Mosquitto, and reports the frame-to-logged-verdict p50 and p99
// of the decisions made during the drain
// (fuscan_stage_latency_seconds{stage="total"}) and how many there were.
func BenchmarkDrainLatency(b *testing.B) {
	const n = 150_000
	m := newMosquitto(b)
	m.start(b)
	h := newHub(b, "--broker", m.url())
	h.start(b)
	for range b.N {
		id := fmt.Sprintf("cam-%d", time.Now().UnixNano()%1_000_000)
		d := newTerminal(b, id, m.url(), writeTemp(b, "pw"), "--source", "demo:?fps=30", "--dedupe", "-1s")
		backlog(b, d.data, id, n)
		d.start(b)
		waitFor(b, "the backlog at the hub", func() bool { return h.device(b, id).Records >= n })
		p50, p99, count := totalLatency(b, d.listen)
		b.ReportMetric(p50*1000, "p50-ms")
		b.ReportMetric(p99*1000, "p99-ms")
		b.ReportMetric(count, "decisions")
		d.stop(b)
	}
}

// totalLatency reads the frame-to-logged-verdict quantiles and the
// decision count from fuscand's /metrics.
func totalLatency(b *testing.B, listen string) (p50, p99, decisions float64) {
	b.Helper()
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		var v float64
		switch {
		case strings.HasPrefix(line, `fuscan_stage_latency_seconds{quantile="0.5",stage="total"}`):
			fmt.Sscan(strings.Fields(line)[1], &p50)
		case strings.HasPrefix(line, `fuscan_stage_latency_seconds{quantile="0.99",stage="total"}`):
			fmt.Sscan(strings.Fields(line)[1], &p99)
		case strings.HasPrefix(line, "fuscan_decisions_total{"):
			fmt.Sscan(strings.Fields(line)[1], &v)
			decisions += v
		}
	}
	return p50, p99, decisions
}
