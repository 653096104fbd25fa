package main

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"

	"github.com/fuscan/fuscan/cmd/fuscan/internal/xprobe"
	"github.com/fuscan/fuscan/terminal/source"
	"github.com/fuscan/fuscan/ui"
)

// bareWindow is an empty full-screen Fyne window in the kiosk's theme:
// what the kiosk's memory is measured against.
func bareWindow() {
	a := app.New()
	a.Settings().SetTheme(ui.Theme())
	w := a.NewWindow("bare")
	w.SetContent(canvas.NewRectangle(color.NRGBA{0x0F, 0x1E, 0x26, 0xFF}))
	w.SetFullScreen(true)
	w.ShowAndRun()
}

// proc reads a process's resident memory (MB) and CPU time from /proc.
func proc(pid int) (rssMB float64, cpu time.Duration) {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			rssMB = kb / 1024
		}
	}
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 {
		f := strings.Fields(string(stat)[i+2:])
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			cpu = time.Duration(u+s) * time.Second / 100 // clock ticks: USER_HZ is 100 on Linux
		}
	}
	return rssMB, cpu
}

// child starts this binary as the kiosk ("1") or the bare window under
// the X server.
func child(t *testing.T, mode, display, xauth string, stderr io.Writer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "FUSCAN_TEST_CHILD="+mode, "DISPLAY="+display, "XAUTHORITY="+xauth, "LANG=en_US.UTF-8")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// logged is a decision as the kiosk's log line tells it.
type logged struct {
	at      time.Time
	verdict string
}

// TestKioskBench measures the kiosk in demo mode, full screen on Xvfb
// (Mesa software GL), for FUSCAN_BENCH_SECONDS: the time from a decision
// being logged to its colour on the X server's screen, read pixel by
// pixel; its memory against a bare Fyne window's; its CPU with the demo
// camera running. scripts/bench.sh runs it. FUSCAN_BENCH_SOURCE replaces
// the demo camera (such as dir:FRAMES?loop=1&fps=15, replayed frames that
// cost no rendering, as a real camera's).
func TestKioskBench(t *testing.T) {
	seconds, _ := strconv.Atoi(os.Getenv("FUSCAN_BENCH_SECONDS"))
	if seconds <= 0 {
		t.Skip("set FUSCAN_BENCH_SECONDS (scripts/bench.sh does)")
	}
	display, xauth := xvfb(t, "1024x600")

	bare := child(t, "bare", display, xauth, io.Discard)
	time.Sleep(15 * time.Second)
	bareRSS, _ := proc(bare.Process.Pid)
	bare.Process.Kill()
	bare.Wait()

	r, w := io.Pipe()
	args := []string{"--profile", "demo", "--data", t.TempDir(), "--listen", "off", "--mute"}
	camera := fmt.Sprintf("the demo camera (%d×%d, %d fps, preview off)", source.DefaultDemoWidth, source.DefaultDemoHeight, source.DefaultDemoFPS)
	if src := os.Getenv("FUSCAN_BENCH_SOURCE"); src != "" {
		args = append(args, "--source", src)
		camera = src
	}
	kiosk := child(t, "1", display, xauth, w, args...)
	decisions := make(chan logged, 1024)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			if !strings.Contains(line, " msg=decision ") {
				continue
			}
			var l logged
			for _, f := range strings.Fields(line) {
				k, v, _ := strings.Cut(f, "=")
				switch k {
				case "time":
					l.at, _ = time.Parse(time.RFC3339Nano, v)
				case "verdict":
					l.verdict = v
				}
			}
			decisions <- l
		}
	}()
	t.Setenv("XAUTHORITY", xauth)
	d, err := xprobe.Open(display)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	type change struct {
		at     time.Time
		screen string
	}
	var changes []change
	var rss []float64
	last := ""
	start := time.Now()
	end := start.Add(time.Duration(seconds) * time.Second)
	nextSample := start.Add(10 * time.Second)
	var cpu0 time.Duration
	cpuFrom := time.Time{}
	for now := time.Now(); now.Before(end); now = time.Now() {
		red, green, blue, err := d.Pixel(12, 12)
		if err != nil {
			t.Fatal(err)
		}
		if name := classify(rgbImage{color.RGBA{red, green, blue, 0xFF}}); name != last {
			changes = append(changes, change{now, name})
			last = name
		}
		if now.After(nextSample) {
			m, c := proc(kiosk.Process.Pid)
			rss = append(rss, m)
			if len(rss)%60 == 0 { // every 10 minutes, in case the run is cut short
				fmt.Printf("bench: progress %v: kiosk RSS %.0f MB, %d decisions on screen\n",
					now.Sub(start).Round(time.Second), m, len(changes)/2)
			}
			if cpuFrom.IsZero() {
				cpu0, cpuFrom = c, now
			}
			nextSample = now.Add(10 * time.Second)
		}
		time.Sleep(time.Millisecond)
	}
	_, cpu1 := proc(kiosk.Process.Pid)
	cpuShare := float64(cpu1-cpu0) / float64(time.Since(cpuFrom)) * 100
	w.Close()

	// Each decision's latency is the first change to its colour after it
	// was logged and before the next one was: a result that replaced one
	// of the same colour changes no pixel, and is not counted.
	var logs []logged
	for len(decisions) > 0 {
		logs = append(logs, <-decisions)
	}
	var lat, order []time.Duration
	unseen := 0
	for i, l := range logs {
		until := l.at.Add(5 * time.Second)
		if i+1 < len(logs) && logs[i+1].at.Before(until) {
			until = logs[i+1].at
		}
		j := slices.IndexFunc(changes, func(c change) bool {
			// The log's time has millisecond precision.
			return c.screen == l.verdict && !c.at.Before(l.at.Add(-time.Millisecond)) && c.at.Before(until)
		})
		if j < 0 {
			unseen++
			continue
		}
		lat = append(lat, changes[j].at.Sub(l.at))
		order = append(order, changes[j].at.Sub(l.at).Round(time.Millisecond))
	}
	if len(lat) == 0 || len(rss) == 0 {
		t.Fatalf("no decision reached the screen in %d s (%d screen changes)", seconds, len(changes))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	fmt.Printf("bench: kiosk logged decision -> pixels on screen (Xvfb 1024x600, Mesa): n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms (%d not counted: no colour change)\n",
		len(lat), ms(pct(0.5)), ms(pct(0.99)), ms(lat[len(lat)-1]), unseen)
	fmt.Printf("bench: kiosk latencies in order (the first draws every text of its screen for the first time): %v\n", order)
	fmt.Printf("bench: kiosk RSS %.0f MB after %d s (first sample %.0f MB, max %.0f MB); bare Fyne window %.0f MB; kiosk - bare = %.0f MB\n",
		rss[len(rss)-1], seconds, rss[0], slices.Max(rss), bareRSS, rss[len(rss)-1]-bareRSS)
	fmt.Printf("bench: kiosk CPU with %s: %.1f%% of one core\n", camera, cpuShare)
}

// rgbImage is a one-pixel image, to classify a probed pixel as a
// screenshot is.
type rgbImage struct{ c color.RGBA }

func (i rgbImage) ColorModel() color.Model { return color.RGBAModel }
func (i rgbImage) Bounds() image.Rectangle { return image.Rect(0, 0, 13, 13) }
func (i rgbImage) At(int, int) color.Color { return i.c }
