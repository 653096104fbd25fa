package decoder

import (
	"image"
	"slices"
)

// Miss is what the decoder saw of a code it could not read: finder
// patterns outlined one, and no step of the ladder read it.
type Miss struct {
	// Region is where the code seemed to be, quiet zone included, in the
	// image's coordinates: the most code-like of the regions the later
	// steps looked at.
	Region image.Rectangle
	// ModulePx is the size of a module the finder patterns measured, in
	// pixels.
	ModulePx float64
	// Saturated is the share of the region's pixels at the top of the
	// range (luma SaturatedLevel and up): a reflection that washed the
	// modules out.
	Saturated float64
	// Sharpness is how steep the region's edges are: the mean of the
	// steepest tenth of its pixel-to-pixel steps over the region's range
	// of luma, about 0.5 and more for a sharp code, under 0.25 for one
	// blurred by a moving hand or a lens out of focus.
	Sharpness float64
}

// Advice is what the person at the camera should do about a Miss.
type Advice int

// The advice, from Miss.Advice.
const (
	AdviceHoldStill Advice = iota // blurred, or not read for another reason: a steadier frame may read
	AdviceCloser                  // modules too small to read
	AdviceLessGlare               // a reflection washes the code out
)

// String returns hold_still, closer or less_glare.
func (a Advice) String() string {
	switch a {
	case AdviceCloser:
		return "closer"
	case AdviceLessGlare:
		return "less_glare"
	}
	return "hold_still"
}

// The thresholds of Miss.Advice.
const (
	// CloserModulePx is the module size under which a code is too far:
	// the decoder reads codes from about 2 pixels a module.
	CloserModulePx = 1.8
	// GlareShare is the share of saturated pixels over which a reflection
	// is to blame.
	GlareShare = 0.04
	// SaturatedLevel is the luma from which a pixel counts as saturated.
	SaturatedLevel = 250
)

// Advice turns what the decoder saw into a suggestion, in this order:
// modules under CloserModulePx pixels call for the code closer; more
// than GlareShare of the region saturated, for less glare; anything else
// (blur above all, whatever Sharpness says) for holding still.
func (m Miss) Advice() Advice {
	switch {
	case m.ModulePx < CloserModulePx:
		return AdviceCloser
	case m.Saturated > GlareShare:
		return AdviceLessGlare
	}
	return AdviceHoldStill
}

// maxMissPixels bounds the pixels a Miss's measurements look at: a larger
// region is sampled every few rows and columns.
const maxMissPixels = 1 << 18

// seen reports whether r is evidence enough of a code to call its failure
// a miss: a triple of finder patterns whose timing patterns showed. Decoy
// squares among clutter make triples too, but seldom with timing
// patterns: on the empty corpus category, 1 frame in 30 shows a miss.
func (r region) seen() bool { return len(r.centers) == 3 && r.timed }

// miss measures the best region of p that seen reports, when p read
// nothing, for Options.Missed.
func (p *pass) miss() (Miss, bool) {
	i := slices.IndexFunc(p.regions, region.seen)
	if i < 0 {
		return Miss{}, false
	}
	r := p.regions[i]
	rect := r.rect.Intersect(p.luma.rect())
	if rect.Empty() {
		return Miss{}, false
	}
	pl := p.luma.crop(rect)
	step := 1
	for pl.w*pl.h/(step*step) > maxMissPixels {
		step++
	}
	var hist, steps [256]int // luma levels, and pixel-to-pixel steps
	for y := 0; y < pl.h; y += step {
		row := pl.row(y)
		var below []byte
		if y+1 < pl.h {
			below = pl.row(y + 1)
		}
		for x := 0; x < pl.w; x += step {
			v := int(row[x])
			hist[v]++
			if x+1 < pl.w {
				steps[absInt(int(row[x+1])-v)]++
			}
			if below != nil {
				steps[absInt(int(below[x])-v)]++
			}
		}
	}
	n := sum(hist[:])
	lo, hi := level(hist[:], n, 0.02), level(hist[:], n, 0.98)
	m := Miss{
		Region:    rect.Add(p.origin),
		ModulePx:  r.module,
		Saturated: float64(sum(hist[SaturatedLevel:])) / float64(n),
	}
	// The mean of the steepest tenth of the steps.
	ns := sum(steps[:])
	if top := ns / 10; top > 0 && hi > lo {
		total, left := 0, top
		for v := 255; v >= 0 && left > 0; v-- {
			k := min(steps[v], left)
			total += k * v
			left -= k
		}
		m.Sharpness = float64(total) / float64(top) / float64(hi-lo)
	}
	return m, true
}

// level returns the luma below which share of the n pixels of hist lie.
func level(hist []int, n int, share float64) int {
	want := int(share * float64(n))
	for v, c := range hist {
		if want -= c; want < 0 {
			return v
		}
	}
	return len(hist) - 1
}

func sum(counts []int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}
