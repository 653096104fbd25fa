package decoder

import (
	"fmt"
	"image"
	"sort"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder/scene"
)

// benchFrames is how many different frames each benchmark cycles through,
// so that no single lucky or unlucky frame sets the figure.
const benchFrames = 8

// BenchmarkFrame measures a camera frame (a Gray image, as the luma plane
// of a camera's YCbCr frame is read in place) at 1280×720 and 1920×1080:
// without a code, and with the densest sample text (an EU DCC, QR version
// 16) at 2.5, 3 and 4 pixels a module, turned a little. It reports the
// median and 95th percentile milliseconds per frame and the share of
// frames read.
func BenchmarkFrame(b *testing.B) {
	texts := sampleTexts()
	dense := texts[len(texts)-1]
	for _, size := range []image.Point{{1280, 720}, {1920, 1080}} {
		for _, px := range []float64{0, 2.5, 3, 4} {
			name := fmt.Sprintf("%dx%d/empty", size.X, size.Y)
			text := ""
			if px > 0 {
				name = fmt.Sprintf("%dx%d/%.1fpx", size.X, size.Y, px)
				text = dense
			}
			b.Run(name, func(b *testing.B) {
				var frames []image.Image
				for i := range benchFrames {
					img, err := scene.Render(text, scene.Params{
						Width: size.X, Height: size.Y, ModulePx: px,
						Angle: float64(i*7 - 20), Blur: 0.5, Noise: 2,
						OffsetX: float64(i*40 - 160), Seed: uint64(i + 1),
					})
					if err != nil {
						b.Fatal(err)
					}
					frames = append(frames, img)
				}
				benchDecode(b, frames, text)
			})
		}
	}
}

// BenchmarkCategory measures the first samples of every corpus category,
// each decoded with the default budget.
func BenchmarkCategory(b *testing.B) {
	for _, cat := range scene.Categories(sampleTexts()) {
		b.Run(cat.Name, func(b *testing.B) {
			var frames []image.Image
			var texts []string
			for i := range min(cat.N, 12) {
				s := cat.Make(i)
				frames = append(frames, s.Image)
				texts = append(texts, s.Text)
			}
			benchDecodeTexts(b, frames, texts)
		})
	}
}

// BenchmarkLadder decodes the first samples of the dense720 and
// dense1080 categories as the terminal does (the first code) and as
// fuscanctl decode does (every code, Multi), and reports the mean
// milliseconds a frame each step of the ladder takes: where the time of a
// dense frame goes.
func BenchmarkLadder(b *testing.B) {
	for _, cat := range scene.Categories(sampleTexts()) {
		if cat.Name != "dense720" && cat.Name != "dense1080" {
			continue
		}
		var frames []image.Image
		for i := range min(cat.N, 16) {
			frames = append(frames, cat.Make(i).Image)
		}
		for _, multi := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/multi=%v", cat.Name, multi), func(b *testing.B) {
				d := New(&Options{Multi: multi, Budget: 2 * time.Second})
				took := map[string]time.Duration{}
				d.trace = func(step string, t time.Duration, _ int) { took[step] += t }
				for i := 0; b.Loop(); i++ {
					d.Decode(frames[i%len(frames)])
				}
				for step, t := range took {
					b.ReportMetric(float64(t.Microseconds())/1000/float64(b.N), step+"-ms")
				}
			})
		}
	}
}

// BenchmarkSequence measures a camera feed at an entrance (scene.Sequence,
// mostly empty frames between visitors), with and without passing the
// last code's Bounds to DecodeHint.
func BenchmarkSequence(b *testing.B) {
	seq := scene.Sequence(7, image.Point{}, sampleTexts())
	var frames []image.Image
	var texts []string
	// Two visitors' worth of frames, every third one: 10 s at 10 fps.
	for t := 0; t < 300; t += 3 {
		s := seq(t)
		frames = append(frames, s.Image)
		texts = append(texts, s.Text)
	}
	for _, hint := range []bool{false, true} {
		b.Run(fmt.Sprintf("hint=%v", hint), func(b *testing.B) {
			d := New(nil)
			var took []time.Duration
			read, coded := 0, 0
			var last image.Rectangle
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				k := i % len(frames)
				if k == 0 {
					last = image.Rectangle{}
				}
				start := time.Now()
				codes, _ := d.DecodeHint(frames[k], last)
				took = append(took, time.Since(start))
				last = image.Rectangle{}
				if hint && len(codes) > 0 {
					last = codes[0].Bounds()
				}
				if texts[k] != "" {
					coded++
					if len(codes) > 0 && codes[0].Text == texts[k] {
						read++
					}
				}
			}
			reportLatency(b, took)
			if coded > 0 {
				b.ReportMetric(float64(read)/float64(coded), "read/frame-with-code")
			}
		})
	}
}

// benchDecode decodes frames in turn, all showing text ("" for none).
func benchDecode(b *testing.B, frames []image.Image, text string) {
	texts := make([]string, len(frames))
	for i := range texts {
		texts[i] = text
	}
	benchDecodeTexts(b, frames, texts)
}

// benchDecodeTexts decodes frames in turn with one Decoder and reports
// latency percentiles and, for frames with a code, the share read.
func benchDecodeTexts(b *testing.B, frames []image.Image, texts []string) {
	d := New(nil)
	took := make([]time.Duration, 0, b.N)
	read, coded := 0, 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := i % len(frames)
		start := time.Now()
		codes, err := d.Decode(frames[k])
		took = append(took, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if texts[k] == "" {
			if len(codes) > 0 {
				b.Fatalf("frame %d: got %q, want nothing", k, codes[0].Text)
			}
			continue
		}
		coded++
		for _, c := range codes {
			if c.Text != texts[k] {
				b.Fatalf("frame %d: got a wrong text", k)
			}
			read++
		}
	}
	reportLatency(b, took)
	if coded > 0 {
		b.ReportMetric(float64(read)/float64(coded), "read/frame")
	}
}

// reportLatency reports the median and 95th percentile of took in
// milliseconds.
func reportLatency(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	s := append([]time.Duration(nil), took...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(s[len(s)/2]), "ms-p50")
	b.ReportMetric(ms(s[len(s)*95/100]), "ms-p95")
}
