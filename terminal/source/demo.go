package source

import (
	"context"
	"fmt"
	"image"
	"net/url"
	"strconv"
	"time"

	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/sample"
)

// Defaults of a demo: source. 960×540 fills a kiosk's 1024×600 screen's
// preview, and renders in a little over half the time and memory of
// 720p; its codes have 2.25 to 3.75 px a module.
const (
	DefaultDemoFPS    = 15
	DefaultDemoWidth  = 960
	DefaultDemoHeight = 540
)

// sceneFPS is the frame rate of scene.Sequence's timeline.
const sceneFPS = 30

// Bounds of a demo frame's sides, in pixels. Below 240 rows the scene's
// codes would have modules under a pixel.
const (
	minDemoSide = 240
	maxDemoSide = 4096
)

// demoSource renders scene.SequenceOf: visitors holding up the sample
// codes of package sample, which a terminal trusting sample.Snapshot
// decides as each is labelled.
type demoSource struct {
	seed  uint64
	size  image.Point
	every time.Duration
	opts  Options
}

func openDemo(u *url.URL, q url.Values, o Options) (Source, error) {
	if err := noPath(u); err != nil {
		return nil, err
	}
	if err := params(q, "fps", "seed", "width", "height"); err != nil {
		return nil, err
	}
	every, err := interval(q, DefaultDemoFPS)
	if err != nil {
		return nil, err
	}
	s := &demoSource{seed: 1, size: image.Pt(DefaultDemoWidth, DefaultDemoHeight), every: every, opts: o}
	if v := q.Get("seed"); v != "" {
		if s.seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return nil, fmt.Errorf("seed %q: want an unsigned integer", v)
		}
	}
	if s.size.X, err = intParam(q, "width", s.size.X, minDemoSide, maxDemoSide); err != nil {
		return nil, err
	}
	if s.size.Y, err = intParam(q, "height", s.size.Y, minDemoSide, maxDemoSide); err != nil {
		return nil, err
	}
	return s, nil
}

// Run sends demo frames as *image.Gray until ctx is done. At a set fps the
// scene moves in real time (frames of its 30 a second timeline are skipped
// or repeated); at fps=max every frame of the timeline is sent in turn.
// The frames are rendered in gray, into images a ring recycles, as a
// camera's are.
func (s *demoSource) Run(ctx context.Context, frames chan<- terminal.Frame, _ chan<- terminal.Scan) error {
	seq := scene.GraySequenceOf(s.seed, s.size, s.text)
	layout := planes{rect: image.Rectangle{Max: s.size}, gray: true, yStride: s.size.X, yRows: s.size.Y}
	var r ring
	p := newPacer(s.every)
	defer p.stop()
	for n := uint64(0); ; n++ {
		if err := p.wait(ctx); err != nil {
			return err
		}
		t := int(n)
		if s.every > 0 {
			t = int(float64(n) * s.every.Seconds() * sceneFPS)
		}
		img := r.image(layout).(*image.Gray)
		seq(t, img)
		if err := send(ctx, frames, r.frame(img, s.opts.Now(), n+1)); err != nil {
			return err
		}
	}
}

// text returns the code visitor c shows: a sample code issued now, so that
// live codes are fresh and a dynamic code is for the current 30 s step.
func (s *demoSource) text(c int) string {
	return demoCase(sample.Cases(s.opts.Now()), c).Text
}

// demoCase returns the case visitor c shows. The visitors take the
// verdicts in turn, in the order cases first has them (pass, warn, deny,
// refer), and each verdict's cases in turn, so that every verdict shows
// within four visitors and every case within a few dozen.
func demoCase(cases []sample.Case, c int) sample.Case {
	var groups [][]sample.Case
	group := map[terminal.Verdict]int{}
	for _, k := range cases {
		i, ok := group[k.Verdict]
		if !ok {
			i = len(groups)
			group[k.Verdict] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], k)
	}
	g := groups[c%len(groups)]
	return g[c/len(groups)%len(g)]
}
