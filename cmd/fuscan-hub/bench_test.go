package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fuscan/fuscan/sync/broker"
	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/hubtest"
)

// The benchmark's fleet: devices draining their backlogs at once.
const (
	benchDevices = 20
	benchRecords = 150_000 // in all
	benchBatch   = 2000    // records a batch, wire.MaxBatchRecords
	benchWindow  = 2       // batches a device keeps unacknowledged
)

// BenchmarkHub runs fuscan-hub as a process of its own and has 20
// devices drain 150,000 records into it at once, in batches of 2000, each
// acknowledged after the hub's fsync'd commit; it reports records a
// second and the hub process's resident memory after the run (rss_MB) and
// at its peak (peak_rss_MB). Run it with -benchtime 1x: an iteration is a
// whole drain into a fresh hub.
func BenchmarkHub(b *testing.B) {
	fleet := benchFleet(b)
	b.Run("embedded", func(b *testing.B) { benchDrain(b, fleet, "") })
	b.Run("mosquitto", func(b *testing.B) { benchDrain(b, fleet, hubtest.Mosquitto(b)) })
}

// benchDevice is one device's backlog, encoded.
type benchDevice struct {
	id      string
	batches [][]byte
	lasts   []uint64
}

func benchFleet(b *testing.B) []*benchDevice {
	var fleet []*benchDevice
	for i := range benchDevices {
		d := &benchDevice{id: fmt.Sprintf("gate-%02d", i)}
		log := hubtest.NewLog(d.id, "hall")
		for left := benchRecords / benchDevices; left > 0; left -= benchBatch {
			d.batches = append(d.batches, hubtest.Batch(b, d.id, log.Next(min(left, benchBatch))))
			d.lasts = append(d.lasts, log.Seq())
		}
		fleet = append(fleet, d)
	}
	return fleet
}

func benchDrain(b *testing.B, fleet []*benchDevice, mosquitto string) {
	var elapsed time.Duration
	var rss, peak float64
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		passwords := map[string]string{}
		args := []string{"--data", dir, "--http", "127.0.0.1:0"}
		if mosquitto == "" {
			for _, d := range fleet {
				pw, err := broker.AddDevice(filepath.Join(dir, fileAccounts), d.id, "")
				if err != nil {
					b.Fatal(err)
				}
				passwords[d.id] = pw
			}
			args = append(args, "--mqtt", "127.0.0.1:0")
		} else {
			args = append(args, "--broker", mosquitto)
		}
		p := startProcess(b, args...)
		url := mosquitto
		if url == "" {
			url = "tcp://" + p.mqtt
		}
		devices := make([]*hubtest.Device, len(fleet))
		for i, d := range fleet {
			devices[i] = hubtest.Connect(b, hubtest.DeviceOptions{Broker: url, Tenant: hub.DefaultTenant, ID: d.id, Password: passwords[d.id]})
			if _, err := devices[i].NextAck(10 * time.Second); err != nil { // the greeting
				b.Fatal(err)
			}
		}

		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for i, d := range fleet {
			wg.Go(func() {
				if err := devices[i].Send(d.batches, d.lasts, benchWindow, 60*time.Second); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(start)
		b.StopTimer()

		rss, peak = p.memory(b)
		token, _ := os.ReadFile(filepath.Join(dir, fileToken))
		devs, err := (&hub.Client{URL: "http://" + p.http, Token: string(token)}).Devices(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		var n uint64
		for _, d := range devs {
			n += d.Records
		}
		if n != benchRecords {
			b.Fatalf("the hub holds %d records, want %d", n, benchRecords)
		}
		p.stop(b)
	}
	b.ReportMetric(float64(b.N*benchRecords)/elapsed.Seconds(), "records/s")
	b.ReportMetric(rss, "rss_MB")
	b.ReportMetric(peak, "peak_rss_MB")
}

// process is fuscan-hub run as a process of its own.
type process struct {
	cmd        *exec.Cmd
	stderr     *hubtest.Buffer
	mqtt, http string
	exited     chan error
}

func startProcess(b *testing.B, args ...string) *process {
	b.Helper()
	p := &process{cmd: exec.Command(os.Args[0], args...), stderr: &hubtest.Buffer{}, exited: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), "FUSCAN_HUB_TEST_CHILD=1")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	b.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		p.exited <- nil
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := p.stderr.String()
		if m := runningLine.FindStringSubmatch(out); m != nil && strings.Contains(out, "connected to the broker") {
			p.mqtt, p.http = m[1], m[2]
			return p
		}
		if time.Now().After(deadline) {
			b.Fatalf("fuscan-hub is not running after 10s:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// memory returns the process's resident and peak resident memory in MB.
func (p *process) memory(b *testing.B) (rss, peak float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop(b *testing.B) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		if err != nil {
			b.Errorf("fuscan-hub after SIGTERM: %v\n%s", err, p.stderr)
		}
	case <-time.After(10 * time.Second):
		b.Errorf("fuscan-hub still running 10s after SIGTERM")
	}
}
