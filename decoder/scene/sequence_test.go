package scene

import (
	"fmt"
	"image"
	"image/draw"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fuscan/fuscan/terminal/sample"
)

// TestSequenceOfTexts: each visitor shows the caller's text for it, the
// text function runs once a visitor even when frames are asked for from
// many goroutines, and a visitor with no text leaves the entrance empty.
func TestSequenceOfTexts(t *testing.T) {
	size := image.Pt(320, 240)
	var mu sync.Mutex
	calls := map[int]int{}
	seq := SequenceOf(5, size, func(visitor int) string {
		mu.Lock()
		calls[visitor]++
		mu.Unlock()
		if visitor == 1 {
			return ""
		}
		return fmt.Sprintf("VISITOR %d", visitor)
	})
	const visitors = 3
	var wg sync.WaitGroup
	var coded [visitors]atomic.Int32
	for w := range 4 {
		wg.Go(func() {
			for f := w; f < visitors*seqPeriod; f += 4 {
				s := seq(f)
				c := f / seqPeriod
				switch {
				case s.Text == "":
				case c == 1:
					t.Errorf("frame %d: text %q, want none from visitor 1", f, s.Text)
				case s.Text != fmt.Sprintf("VISITOR %d", c):
					t.Errorf("frame %d: text %q, want visitor %d's", f, s.Text, c)
				default:
					coded[c].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for c := range visitors {
		if calls[c] != 1 {
			t.Errorf("visitor %d: text called %d times, want 1", c, calls[c])
		}
		if got := coded[c].Load(); (got > 0) != (c != 1) {
			t.Errorf("visitor %d: %d frames with a code", c, got)
		}
	}
}

// TestSequenceOfPoses: the texts do not move the codes: frames of
// SequenceOf and Sequence with one seed hold their codes alike.
func TestSequenceOfPoses(t *testing.T) {
	size := image.Pt(320, 240)
	a := Sequence(9, size, sample.Texts())
	b := SequenceOf(9, size, func(int) string { return "HELLO" })
	for f := 0; f < 2*seqPeriod; f += 3 {
		x, y := a(f), b(f)
		if x.Params != y.Params {
			t.Errorf("frame %d: params %+v, want %+v", f, y.Params, x.Params)
		}
	}
}

// TestGraySequenceOf: the gray sequence renders into the caller's image,
// holds its codes as the colour one does, and draws them in their luma: a
// coloured code's frame converted to gray differs from the gray frame by
// the sensor noise only.
func TestGraySequenceOf(t *testing.T) {
	size := image.Pt(320, 240)
	text := func(int) string { return "HELLO" }
	colour, gray := SequenceOf(4, size, text), GraySequenceOf(4, size, text)
	dst := image.NewGray(image.Rect(0, 0, size.X, size.Y))
	coloured := 0
	for f := 0; f < 8*seqPeriod; f += 7 {
		c, g := colour(f), gray(f, dst)
		if g.Image != dst {
			t.Fatalf("frame %d: rendered into a new image, not dst", f)
		}
		if c.Text != g.Text || c.Corners != g.Corners || c.Params != g.Params {
			t.Errorf("frame %d: gray %q at %v, colour %q at %v", f, g.Text, g.Corners, c.Text, c.Corners)
		}
		if c.Params.Ink == InkBlack || c.Text == "" {
			continue
		}
		coloured++
		want := image.NewGray(dst.Rect)
		draw.Draw(want, want.Rect, c.Image, image.Point{}, draw.Src)
		var sum int
		for i, v := range dst.Pix {
			sum += abs(int(v) - int(want.Pix[i]))
		}
		if mean := float64(sum) / float64(len(dst.Pix)); mean > 4 {
			t.Errorf("frame %d (ink %v): gray differs from the colour frame's luma by %.1f levels on average", f, c.Params.Ink, mean)
		}
	}
	if coloured == 0 {
		t.Error("no frame with a coloured code: the test compared nothing")
	}
	if s := gray(seqPeriod+seqHold, nil); s.Image.Bounds().Size() != size {
		t.Errorf("without dst: a %v image, want %v", s.Image.Bounds(), size)
	}
}

// TestSequenceIsSequenceOfTexts: Sequence shows its texts in turn, from
// one the seed picks, and nothing without texts.
func TestSequenceIsSequenceOfTexts(t *testing.T) {
	texts := sample.Texts()
	seq := Sequence(2, image.Pt(320, 240), texts)
	empty := Sequence(2, image.Pt(320, 240), nil)
	texts[3] = "CHANGED" // Sequence keeps its own copy
	for c := range 3 {
		for f := c * seqPeriod; f < (c+1)*seqPeriod; f++ {
			if s := empty(f); s.Text != "" {
				t.Errorf("frame %d without texts: text %.12q…", f, s.Text)
			}
			if s := seq(f); s.Text != "" {
				if want := sample.Texts()[2+c]; s.Text != want {
					t.Errorf("visitor %d: text %.12q…, want %.12q…", c, s.Text, want)
				}
				break
			}
		}
	}
}

// TestTextCacheBounded: the cache keeps a few visitors and calls again for
// one forgotten.
func TestTextCacheBounded(t *testing.T) {
	n := 0
	c := &textCache{text: func(v int) string { n++; return fmt.Sprint(v) }, cycles: map[int]func() string{}}
	for v := range 10 {
		c.get(v)
		c.get(v)
	}
	if n != 10 || len(c.cycles) > textCacheSize {
		t.Errorf("got %d calls and %d kept, want 10 and at most %d", n, len(c.cycles), textCacheSize)
	}
	c.get(9)
	if n != 10 {
		t.Errorf("a recent visitor was called again")
	}
	c.get(0)
	if n != 11 {
		t.Errorf("a forgotten visitor was not called again")
	}
}

// BenchmarkGraySequence renders a demo camera's frames: 960×540 gray, a
// visitor's whole cycle in turn, into one image.
func BenchmarkGraySequence(b *testing.B) {
	size := image.Pt(960, 540)
	texts := sample.Texts()
	seq := GraySequenceOf(1, size, func(c int) string { return texts[c%len(texts)] })
	dst := image.NewGray(image.Rect(0, 0, size.X, size.Y))
	t := 0
	for b.Loop() {
		seq(t%(4*seqPeriod), dst)
		t += 2
	}
}
