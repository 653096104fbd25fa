package decoder

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/qrcard"
)

const sample = "FSC1:" + "NCFJ30B20FFWTWGSLK/-4P99B+VHH4L+GK4O77B0XKI-CQW6646736DF3/Y1600CF3E6TD10100000YALJB0Y50:XC3"

func codeImage(t *testing.T, text string, px int) *image.Gray {
	t.Helper()
	img, err := qrcard.Image(text, &qrcard.ImageOptions{ModulePx: px})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDecodeKinds(t *testing.T) {
	gray := codeImage(t, sample, 4)
	b := gray.Bounds()
	ycc := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	copy(ycc.Y, gray.Pix)
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, gray, b.Min, draw.Src)
	inverted := image.NewGray(b)
	for i, p := range gray.Pix {
		inverted.Pix[i] = 255 - p
	}
	// A sub-image: the code sits inside a larger frame at an offset.
	frame := image.NewGray(image.Rect(0, 0, b.Dx()+100, b.Dy()+60))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{255}), image.Point{}, draw.Src)
	draw.Draw(frame, b.Add(image.Pt(70, 40)), gray, b.Min, draw.Src)
	sub := frame.SubImage(image.Rect(50, 20, b.Dx()+90, b.Dy()+60))
	for _, tt := range []struct {
		name string
		img  image.Image
		step string
	}{{"gray", gray, "luma"}, {"ycbcr", ycc, "luma"}, {"rgba", rgba, "luma"}, {"inverted", inverted, "inverted"}, {"sub-image", sub, "luma"}} {
		codes, err := New(nil).Decode(tt.img)
		if err != nil || len(codes) != 1 || codes[0].Text != sample || codes[0].Step != tt.step {
			t.Errorf("%s: got %+v, %v; want the sample text by step %s", tt.name, codes, err, tt.step)
		}
	}
}

func TestDecodeEmptyAndUnusable(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 640, 480))
	if codes, err := New(nil).Decode(blank); err != nil || len(codes) != 0 {
		t.Errorf("blank frame: got %v, %v; want nothing, no error", codes, err)
	}
	for _, img := range []image.Image{image.NewGray(image.Rect(0, 0, 0, 0)), image.NewGray(image.Rect(0, 0, 1, MaxPixels+1))} {
		if _, err := New(nil).Decode(img); err == nil || !strings.Contains(err.Error(), "unusable") {
			t.Errorf("%v: got %v, want ErrImage", img.Bounds(), err)
		}
	}
}

// frameWith returns a 1280×720 frame of a pale background with the images
// pasted at the given points.
func frameWith(imgs []image.Image, at []image.Point) *image.Gray {
	frame := image.NewGray(image.Rect(0, 0, 1280, 720))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{200}), image.Point{}, draw.Src)
	for i, img := range imgs {
		draw.Draw(frame, img.Bounds().Add(at[i]), img, img.Bounds().Min, draw.Src)
	}
	return frame
}

func TestDecodeHint(t *testing.T) {
	code := codeImage(t, sample, 3)
	first := frameWith([]image.Image{code}, []image.Point{{300, 200}})
	d := New(nil)
	codes, err := d.Decode(first)
	if err != nil || len(codes) != 1 {
		t.Fatalf("first frame: got %v, %v; want one code", codes, err)
	}
	hint := codes[0].Bounds()
	if !image.Rect(300, 200, 300+code.Bounds().Dx(), 200+code.Bounds().Dy()).Overlaps(hint) {
		t.Fatalf("Bounds: got %v, want it over the code at 300,200", hint)
	}
	// The code moved a little: the hint still covers it.
	next := frameWith([]image.Image{code}, []image.Point{{310, 205}})
	for _, tt := range []struct {
		hint image.Rectangle
		step string
	}{
		{hint, StepHint},
		{image.Rectangle{}, StepLuma},                  // no hint
		{image.Rect(2000, 2000, 2100, 2100), StepLuma}, // outside the frame
		{image.Rect(900, 400, 1200, 700), StepLuma},    // where the code is not
	} {
		codes, err := d.DecodeHint(next, tt.hint)
		if err != nil || len(codes) != 1 || codes[0].Text != sample || codes[0].Step != tt.step {
			t.Errorf("hint %v: got %+v, %v; want the sample by step %s", tt.hint, codes, err, tt.step)
		}
	}
}

func TestDecodeMulti(t *testing.T) {
	texts := []string{sample, "FSC1:SECOND CARD", "FSC1:THIRD CARD", sample}
	var imgs []image.Image
	var at []image.Point
	for i, text := range texts {
		imgs = append(imgs, codeImage(t, text, 3))
		at = append(at, image.Pt(40+300*i, 60+100*(i%2)))
	}
	page := frameWith(imgs, at)
	// A frozen clock: this is about what Multi reads, not how fast (the
	// race detector slows the search past the default budget).
	frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	codes, err := New(&Options{Multi: true, Now: func() time.Time { return frozen }}).Decode(page)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range codes {
		got = append(got, c.Text)
	}
	sort.Strings(got)
	want := []string{"FSC1:SECOND CARD", "FSC1:THIRD CARD", sample}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("Multi: got %q, want each text once: %q", got, want)
	}
	if codes, _ := New(nil).Decode(page); len(codes) != 1 {
		t.Errorf("single: got %d codes, want 1", len(codes))
	}
}

func TestDecodeMultiPage(t *testing.T) {
	// A page of 4×4 small codes: 48 finder patterns.
	page := image.NewGray(image.Rect(0, 0, 1240, 1240))
	draw.Draw(page, page.Bounds(), image.NewUniform(color.Gray{255}), image.Point{}, draw.Src)
	want := map[string]bool{}
	for i := 0; i < 16; i++ {
		text := fmt.Sprintf("FSC1:CARD %02d %s", i, sample[5:40])
		want[text] = true
		img := codeImage(t, text, 4)
		at := image.Pt(20+300*(i%4), 20+300*(i/4))
		draw.Draw(page, img.Bounds().Add(at), img, image.Point{}, draw.Src)
	}
	codes, err := New(&Options{Multi: true, Budget: time.Second}).Decode(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		if !want[c.Text] {
			t.Errorf("got %q, not on the page or twice", c.Text)
		}
		delete(want, c.Text)
	}
	if len(want) > 0 {
		t.Errorf("got %d of 16 codes; missing %d", len(codes), len(want))
	}
}

func TestDecodeColoured(t *testing.T) {
	gray := codeImage(t, sample, 4)
	b := gray.Bounds()
	// Pale yellow ink on white: its luma is within 30 levels of the paper,
	// min(R,G,B) far from it.
	rgba := image.NewRGBA(b)
	for i, p := range gray.Pix {
		c := color.RGBA{255, 255, 255, 255}
		if p < 128 {
			c = color.RGBA{255, 240, 80, 255}
		}
		rgba.SetRGBA(i%gray.Stride, i/gray.Stride, c)
	}
	// The camera's view of it: YCbCr 4:2:0.
	ycc := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, _ := rgba.At(x, y).RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = cb, cr
		}
	}
	for _, img := range []image.Image{rgba, ycc} {
		codes, err := New(nil).Decode(img)
		if err != nil || len(codes) != 1 || codes[0].Text != sample {
			t.Errorf("%T: got %+v, %v; want the sample", img, codes, err)
		}
	}
}

func TestDecodeBudget(t *testing.T) {
	// A clock that jumps a second each time it is read: only the first
	// step runs, and an empty frame costs one pass.
	var now time.Time
	tick := func() time.Time { now = now.Add(time.Second); return now }
	frame := frameWith(nil, nil)
	d := New(&Options{Now: tick, Budget: time.Millisecond})
	steps := 0
	d.trace = func(string, time.Duration, int) { steps++ }
	if codes, err := d.Decode(frame); err != nil || len(codes) != 0 {
		t.Fatalf("got %v, %v; want nothing", codes, err)
	}
	if steps != 1 {
		t.Errorf("got %d steps run, want only the first", steps)
	}
	// The first step runs whatever the budget.
	codes, err := New(&Options{Now: tick, Budget: time.Nanosecond}).Decode(codeImage(t, sample, 4))
	if err != nil || len(codes) != 1 {
		t.Errorf("spent budget: got %v, %v; want the code from the first step", codes, err)
	}
}

func TestCodeBounds(t *testing.T) {
	for _, tt := range []struct {
		points []Point
		want   image.Rectangle
	}{
		{nil, image.Rectangle{}},
		{[]Point{{100, 100}, {100, 50}, {150, 50}}, image.Rect(75, 25, 175, 125)},
		{[]Point{{10.5, 10.5}}, image.Rect(10, 10, 11, 11)},
	} {
		if got := (Code{Points: tt.points}).Bounds(); got != tt.want {
			t.Errorf("Bounds of %v: got %v, want %v", tt.points, got, tt.want)
		}
	}
}
