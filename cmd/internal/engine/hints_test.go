package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/terminal"
)

// TestFrameDecoderHints runs frames of codes seen but not read through the
// engine's frame decoder, with a budget long enough for the whole ladder:
// a code too far away asks to come closer, one under a reflection for less
// glare, a blurred one to hold still; a code read and a frame without one
// give no hint.
func TestFrameDecoderHints(t *testing.T) {
	// Texts of their own (scene.DenseText), so that the frames do not
	// change with the sample texts.
	text := func(version int) string {
		return scene.DenseText(rand.New(rand.NewPCG(uint64(version), 1)), version)
	}
	for _, tc := range []struct {
		name  string
		text  string
		p     scene.Params
		want  []terminal.Hint
		codes int
	}{
		{"far away", text(13), scene.Params{ModulePx: 1.7, Angle: -5, Blur: 0.8, Noise: 3, Seed: 4},
			[]terminal.Hint{terminal.HintCloser}, 0},
		{"glare", text(10), scene.Params{ModulePx: 4, Angle: -4, Blur: 0.5, Noise: 2, Seed: 3, Carrier: scene.CarrierPhone,
			Glare: scene.Glare{Y: 1, Radius: 20, Aspect: 0.6, Strength: 1.5}}, []terminal.Hint{terminal.HintLessGlare}, 0},
		{"blur", text(13), scene.Params{ModulePx: 4, Angle: 2, Blur: 2.1, Noise: 2, Seed: 7},
			[]terminal.Hint{terminal.HintHoldStill}, 0},
		{"read", text(10), scene.Params{ModulePx: 1.6, Angle: 3, Blur: 0.6, Noise: 3, Seed: 3}, nil, 1},
		{"no code", "", scene.Params{Carrier: scene.CarrierNone, Clutter: 40, Noise: 2, Seed: 5}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := scene.Render(tc.text, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			var got []terminal.Hint
			f := newFrameDecoder(10*time.Second, func(h terminal.Hint) { got = append(got, h) })
			texts, err := f.Decode(img)
			if err != nil || len(texts) != tc.codes {
				t.Fatalf("got %d codes, %v; want %d", len(texts), err, tc.codes)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got hints %v, want %v", got, tc.want)
			}
		})
	}
	// Without a Hints callback, a miss is nobody's business.
	img, err := scene.Render(text(10), scene.Params{ModulePx: 4, Angle: -4, Blur: 0.5, Noise: 2, Seed: 3, Carrier: scene.CarrierPhone,
		Glare: scene.Glare{Y: 1, Radius: 20, Aspect: 0.6, Strength: 1.5}})
	if err != nil {
		t.Fatal(err)
	}
	if texts, err := newFrameDecoder(10*time.Second, nil).Decode(img); err != nil || len(texts) != 0 {
		t.Errorf("without hints: got %v, %v", texts, err)
	}
}
