package ui

import (
	"context"
	"image/color"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/credential"
)

// BenchmarkShowToPixels times a decision from Show to a rendered frame
// that shows it, with Fyne's software painter at 1024×600: the screen's
// own share of the logged-decision-to-pixels latency (scripts/bench.sh
// prints it; the real window's figure is TestKioskBench's in cmd/fuscan).
// The decisions cycle through the verdicts and holders, as a queue of
// visitors does.
func BenchmarkShowToPixels(b *testing.B) {
	test.NewTempApp(b).Settings().SetTheme(Theme())
	c := &fakeClock{now: galleryNow}
	k := newKiosk(Options{MinResultTime: time.Nanosecond}, c, func(f func()) { f() })
	w := test.NewWindow(k.Content())
	defer w.Close()
	w.SetPadded(false)
	w.Resize(designSize)
	verdicts := []terminal.Verdict{terminal.Pass, terminal.Warn, terminal.Deny, terminal.Refer}
	reasons := []terminal.Reason{terminal.OK, terminal.ColorYellow, terminal.ColorRed, terminal.ClockUntrusted}
	names := []string{"张*", "李*", "王*", "赵*", "陈*"}
	w.Canvas().Capture()
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		v := i % len(verdicts)
		d := sampleDecision(verdicts[v], reasons[v], credential.KindCard, names[i%len(names)], "1234")
		start := time.Now()
		c.advance(time.Second)
		k.Show(context.Background(), &d, &terminal.Record{})
		img := w.Canvas().Capture()
		times = append(times, time.Since(start))
		if got := classifyPixel(img.At(12, 12)); got != verdicts[v] {
			b.Fatalf("decision %d (%v): the screen shows %v", i, verdicts[v], got)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(times[len(times)*99/100])/1e6, "p99-ms")
}

// designSize is the size the screens are designed for.
var designSize = fyne.NewSize(designW, designH)

// classifyPixel names the verdict whose colour c is.
func classifyPixel(c color.Color) terminal.Verdict {
	for _, v := range []terminal.Verdict{terminal.Pass, terminal.Warn, terminal.Deny, terminal.Refer} {
		bg, _ := verdictColors(v)
		r1, g1, b1, _ := bg.RGBA()
		r2, g2, b2, _ := c.RGBA()
		if r1>>8 == r2>>8 && g1>>8 == g2>>8 && b1>>8 == b2>>8 {
			return v
		}
	}
	return 0
}
