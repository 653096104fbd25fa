package decoder

import (
	"image"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder/scene"
)

// missFrames are frames of codes the decoder sees but cannot read, by the
// advice they call for: codes too far away, and the misses of the glare
// and blur categories (a reflection, a lens out of focus) and a code
// moved during the exposure.
func missFrames(t *testing.T) map[Advice][]image.Image {
	t.Helper()
	texts := sampleTexts()
	render := func(text string, p scene.Params) image.Image {
		img, err := scene.Render(text, p)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	cats := map[string]scene.Category{}
	for _, c := range scene.Categories(texts) {
		cats[c.Name] = c
	}
	return map[Advice][]image.Image{
		AdviceCloser: {
			render(texts[5], scene.Params{ModulePx: 1.5, Angle: -2, Blur: 0.6, Noise: 3, Seed: 2}),
			render(texts[7], scene.Params{ModulePx: 1.9, Angle: 6, Blur: 0.9, Noise: 3, Seed: 4}),
		},
		AdviceLessGlare: {cats["glare"].Make(27).Image, cats["glare"].Make(29).Image},
		AdviceHoldStill: {
			cats["blur"].Make(23).Image,
			render(texts[3], scene.Params{ModulePx: 4, Angle: 3, Blur: 0.6, MotionPx: 7, MotionAngle: 30, Noise: 2, Seed: 3}),
		},
	}
}

// TestMissed decodes frames of codes seen but not read, each kind calling
// for its advice, with every step of the ladder: Missed is called once a
// frame, with the kind's advice and a region around the code.
func TestMissed(t *testing.T) {
	frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for advice, frames := range missFrames(t) {
		for i, img := range frames {
			var got []Miss
			d := New(&Options{Now: func() time.Time { return frozen }, Missed: func(m Miss) { got = append(got, m) }})
			codes, err := d.Decode(img)
			if err != nil || len(codes) != 0 {
				t.Fatalf("%v frame %d: got %d codes, %v; want a frame the decoder cannot read", advice, i, len(codes), err)
			}
			if len(got) != 1 {
				t.Fatalf("%v frame %d: Missed called %d times, want once", advice, i, len(got))
			}
			m := got[0]
			if m.Advice() != advice || m.Region.Empty() || !m.Region.In(img.Bounds()) {
				t.Errorf("%v frame %d: got %+v, advice %v; want %v in the frame", advice, i, m, m.Advice(), advice)
			}
		}
	}
	// A frame read, and one of nothing, miss nothing.
	for _, img := range []image.Image{codeImage(t, sample, 4), image.NewGray(image.Rect(0, 0, 640, 480))} {
		New(&Options{Missed: func(m Miss) { t.Errorf("Missed called with %+v", m) }}).Decode(img)
	}
}

func TestAdvice(t *testing.T) {
	for _, tt := range []struct {
		m    Miss
		want Advice
	}{
		{Miss{ModulePx: 1.5, Saturated: 0.3}, AdviceCloser},
		{Miss{ModulePx: 3, Saturated: 0.05}, AdviceLessGlare},
		{Miss{ModulePx: 3, Saturated: 0.01, Sharpness: 0.1}, AdviceHoldStill},
		{Miss{ModulePx: 3, Sharpness: 0.8}, AdviceHoldStill},
	} {
		if got := tt.m.Advice(); got != tt.want {
			t.Errorf("%+v: got %v, want %v", tt.m, got, tt.want)
		}
	}
}
