package decoder

import (
	"image"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// pass is one Decode call's state as it climbs the ladder.
type pass struct {
	d      *Decoder
	img    image.Image
	luma   plane
	origin image.Point
	start  time.Time
	codes  []Code
	// inverted: the luma plane showed light finder patterns on dark.
	inverted bool
	// lumaM are the luma plane's black matrices, normal and inverted,
	// once made.
	lumaM [2]*gozxing.BitMatrix
	// regions are where the searches saw finder patterns outline what may
	// be a code but read none: the later steps look only there.
	regions []region
	// darkCrops are the regions' min(R,G,B), converted once.
	darkCrops []darkCrop
}

type darkCrop struct {
	rect  image.Rectangle
	plane plane
}

// region is where an unread code may be.
type region struct {
	rect     image.Rectangle // in luma plane coordinates, grown by a quiet zone
	module   float64         // module size in luma plane pixels
	inverted bool            // light modules on dark
	darkest  bool            // seen in min(R,G,B) rather than luma
	score    float64         // lower is more like a code
}

// more reports whether the ladder should go on: no code yet (or Multi)
// and budget left.
func (p *pass) more() bool {
	if len(p.codes) > 0 && !p.d.opts.Multi {
		return false
	}
	return p.inTime()
}

func (p *pass) inTime() bool { return p.d.opts.Now().Sub(p.start) < p.d.opts.Budget }

// view says how a plane relates to the image: its transform to luma plane
// coordinates, luma = plane/scale + offset, and whether its pixels are
// min(R,G,B) rather than luma.
type view struct {
	scale   float64
	dx, dy  float64
	darkest bool
}

var lumaView = view{scale: 1}

func (v view) point(x, y float64) (float64, float64) {
	return x/v.scale + v.dx, y/v.scale + v.dy
}

// tryPlane binarizes pl as gozxing's HybridBinarizer would, normal and, if
// inverted, inverted too, and reads what codes it can. It reports how
// many.
func (p *pass) tryPlane(pl plane, v view, step string, normal, inverted bool) int {
	if pl.w < minDim || pl.h < minDim {
		return 0
	}
	p.d.bin.stats(pl)
	n := 0
	if normal {
		n += p.tryMatrix(p.d.bin.matrix(pl, false, slotOther), v, step, false)
		if n > 0 && !p.d.opts.Multi || !p.more() {
			return n
		}
	}
	if inverted {
		n += p.tryMatrix(p.d.bin.matrix(pl, true, slotOther), v, step, true)
	}
	return n
}

// maxTries bounds the triples of finder patterns tryMatrix samples in one
// matrix, unless Multi: decoys must not eat the budget.
const maxTries = 8

// tryMatrix searches the black matrix m for finder patterns and decodes
// the codes they outline, and records as regions the triples or pairs of
// patterns that look like a code but did not read.
func (p *pass) tryMatrix(m *gozxing.BitMatrix, v view, step string, inverted bool) int {
	s := p.d.scanner.scan(m)
	if !inverted && s.invWindows >= invQuorum {
		p.inverted = true
	}
	ts, gozxingFirst, cs := p.candidates(&s)
	used := map[*detector.FinderPattern]bool{}
	n, tried := 0, 0
	var failed []triple
	for i, t := range ts {
		if used[t.bl] || used[t.tl] || used[t.tr] || i > 0 && gozxingFirst && t.sameAs(ts[0]) {
			continue
		}
		if tried > 0 && !p.inTime() || !p.d.opts.Multi && tried >= maxTries {
			break
		}
		if !textured(m, t.moduleSize(), t.tl, t.tr, t.tl, t.bl, t.tr, t.bl) {
			continue
		}
		tried++
		// A triple whose timing patterns do not show in this matrix is not
		// worth sampling here, but it may be a code this matrix renders
		// badly: a region for the later steps.
		var res decoded
		var ok bool
		switch {
		case timingAgrees(m, t):
			res, ok = p.d.sampler.read(m, t)
		case i == 0 && gozxingFirst:
			// gozxing's own choice gets gozxing's own attempt regardless.
			res, ok = p.d.sampler.readAsGozxing(m, t)
		}
		if !ok {
			failed = append(failed, t)
			continue
		}
		used[t.bl], used[t.tl], used[t.tr] = true, true, true
		if p.add(res, v, step) {
			n++
		}
		if !p.d.opts.Multi {
			return n
		}
	}
	for _, t := range failed {
		if !used[t.bl] && !used[t.tl] && !used[t.tr] {
			p.addTripleRegion(t, v, inverted)
		}
	}
	if tried == 0 {
		p.addPairRegions(m, cs, v, inverted)
	}
	return n
}

// candidates returns the triples of finder patterns tryMatrix samples,
// best first, and the patterns they are made of: gozxing's choice
// (SelectBestPatterns), if any, and then the plausible triples of the
// patterns gozxing's checks confirmed, then of all, the loose ones too.
// A sheet of finder patterns makes thousands: only the strongest
// maxCenters are looked at, and the search for triples stops at the
// budget.
func (p *pass) candidates(s *scan) (ts []triple, gozxingFirst bool, cs []*detector.FinderPattern) {
	strict := s.strongest(s.found, maxCenters)
	if len(strict) >= 3 {
		strict = bySize(strict) // as gozxing's SelectBestPatterns leaves them
	}
	cs = s.strongest(append(slices.Clip(strict), s.loose...), maxCenters)
	if len(cs) < 3 {
		return nil, false, cs
	}
	if best, ok := selectBest(strict); ok {
		gozxingFirst = true
		ts = append(ts, best)
	}
	// Triples of patterns gozxing's own checks confirmed come first: the
	// loose ones are more often noise.
	ts = append(ts, triples(strict, p.inTime)...)
	if len(cs) > len(strict) {
		for _, t := range triples(cs, p.inTime) {
			if !slices.Contains(strict, t.bl) || !slices.Contains(strict, t.tl) || !slices.Contains(strict, t.tr) {
				ts = append(ts, t)
			}
		}
	}
	return ts, gozxingFirst, cs
}

// add records a decoded code unless its text is already known.
func (p *pass) add(res decoded, v view, step string) bool {
	for _, c := range p.codes {
		if c.Text == res.text {
			return false
		}
	}
	c := Code{Text: res.text, Step: step}
	for _, rp := range res.points {
		x, y := v.point(rp.GetX(), rp.GetY())
		c.Points = append(c.Points, Point{x + float64(p.origin.X), y + float64(p.origin.Y)})
	}
	p.codes = append(p.codes, c)
	return true
}

// addTripleRegion records the region of a triple that did not read: the
// box of its three finder patterns and the fourth corner, grown by 8
// modules, room for the patterns' outer halves and the quiet zone.
func (p *pass) addTripleRegion(t triple, v view, inverted bool) {
	ms := t.moduleSize()
	brX := t.tr.GetX() - t.tl.GetX() + t.bl.GetX()
	brY := t.tr.GetY() - t.tl.GetY() + t.bl.GetY()
	xs := []float64{t.bl.GetX(), t.tl.GetX(), t.tr.GetX(), brX}
	ys := []float64{t.bl.GetY(), t.tl.GetY(), t.tr.GetY(), brY}
	for i := range xs {
		xs[i], ys[i] = v.point(xs[i], ys[i])
	}
	p.addRegion(region{box(xs, ys, 8*ms/v.scale), ms / v.scale, inverted, v.darkest, t.score})
}

// addPairRegions records regions for pairs of finder patterns that may be
// a side or the diagonal of a code whose third pattern was missed: a
// square around their midpoint reaching one spacing and a quiet zone out.
func (p *pass) addPairRegions(m *gozxing.BitMatrix, cs []*detector.FinderPattern, v view, inverted bool) {
	for i, a := range cs {
		for _, b := range cs[i+1:] {
			ma, mb := a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize()
			ms := (ma + mb) / 2
			d := gozxing.ResultPoint_Distance(a, b)
			if max(ma, mb) > 1.4*min(ma, mb) || d < 10*ms/math.Sqrt2 || d > 250*ms || !textured(m, ms, a, b) {
				continue
			}
			x, y := v.point((a.GetX()+b.GetX())/2, (a.GetY()+b.GetY())/2)
			p.addRegion(region{box([]float64{x}, []float64{y}, (d+8*ms)/v.scale), ms / v.scale, inverted, v.darkest, 1})
		}
	}
}

// maxRegions bounds the regions the later steps look at.
const maxRegions = 3

// addRegion adds r unless a region already covers most of it, keeping the
// best maxRegions.
func (p *pass) addRegion(r region) {
	for _, o := range p.regions {
		in := o.rect.Intersect(r.rect)
		if o.inverted == r.inverted && o.darkest == r.darkest && in.Dx()*in.Dy() >= r.rect.Dx()*r.rect.Dy()*3/4 {
			return
		}
	}
	p.regions = append(p.regions, r)
	sort.SliceStable(p.regions, func(i, j int) bool { return p.regions[i].score < p.regions[j].score })
	if len(p.regions) > maxRegions {
		p.regions = p.regions[:maxRegions]
	}
}

// crop returns the part rect of the region's plane (luma or min(R,G,B)),
// and its view.
func (p *pass) crop(r region, rect image.Rectangle) (plane, view) {
	v := view{1, float64(rect.Min.X), float64(rect.Min.Y), r.darkest}
	if !r.darkest {
		return p.luma.crop(rect), v
	}
	// Each step crops the same few regions: convert each once.
	for _, c := range p.darkCrops {
		if c.rect == rect {
			return c.plane, v
		}
	}
	pl := darkestRect(p.img, rect)
	p.darkCrops = append(p.darkCrops, darkCrop{rect, pl})
	return pl, v
}

// hint decodes the crop of the luma plane around hint, normal and inverted.
func (p *pass) hint(hint image.Rectangle) {
	hint = hint.Sub(p.origin)
	grow := image.Pt(hint.Dx()/4, hint.Dy()/4)
	r := image.Rectangle{hint.Min.Sub(grow), hint.Max.Add(grow)}.Intersect(p.luma.rect())
	if r.Dx() < minDim || r.Dy() < minDim {
		return
	}
	p.tryPlane(p.luma.crop(r), view{scale: 1, dx: float64(r.Min.X), dy: float64(r.Min.Y)}, StepHint, true, true)
	p.regions = nil // the whole image comes next
}

// lumaSteps are the first two steps: the luma plane as gozxing's
// HybridBinarizer sees it, then inverted. Both share the block statistics;
// the inverted matrix is only made when the normal one shows light finder
// patterns on dark.
func (p *pass) lumaSteps() {
	pl := p.luma
	if pl.w < minDim || pl.h < minDim {
		// Too small for blocks: gozxing falls back to one threshold.
		if m, ok := p.d.bin.global(pl, false, slotLuma); ok {
			p.tryMatrix(m, lumaView, StepLuma, false)
		}
		return
	}
	p.d.bin.stats(pl)
	p.lumaM[0] = p.d.bin.matrix(pl, false, slotLuma)
	if p.tryMatrix(p.lumaM[0], lumaView, StepLuma, false) > 0 && !p.d.opts.Multi {
		return
	}
	if p.d.opts.Multi {
		p.multi(p.lumaM[0])
	}
	if !p.inverted || !p.more() {
		return
	}
	p.lumaM[1] = p.d.bin.matrix(pl, true, slotLumaInverted)
	p.tryMatrix(p.lumaM[1], lumaView, StepInverted, true)
}

// multi decodes the codes of a page of many, such as a sheet of cards,
// that the triples of tryMatrix, the best maxTriples of maxCenters
// patterns, leave out: it groups the strongest maxMultiCenters finder
// patterns of m into codes as gozxing's MultiFinderPatternFinder does
// (multiTriples) and reads each group as gozxing's Detector would, until
// the budget is spent.
func (p *pass) multi(m *gozxing.BitMatrix) {
	s := p.d.scanner.scan(m)
	used := map[*detector.FinderPattern]bool{}
	for i, t := range multiTriples(s.strongest(s.found, maxMultiCenters), p.inTime) {
		if i > 0 && !p.inTime() {
			return
		}
		if used[t.bl] || used[t.tl] || used[t.tr] {
			continue
		}
		if res, ok := p.d.sampler.readAsGozxing(m, t); ok {
			used[t.bl], used[t.tl], used[t.tr] = true, true, true
			p.add(res, lumaView, StepLuma)
		}
	}
}

// channelStep decodes a colour image's min(R,G,B), in which coloured
// modules on white (green, yellow, red health codes) are dark however
// light their luma. It looks at half resolution first, which reads codes
// of 4 pixels a module and up at a quarter of the cost, and then at full
// resolution only around what looked like a code there.
func (p *pass) channelStep() {
	if !colourful(p.img) {
		return
	}
	half := p.d.darkestHalf(p.img)
	v := view{scale: 0.5, darkest: true}
	if p.tryPlane(half, v, StepChannel, true, p.inverted) > 0 && !p.d.opts.Multi {
		return
	}
	for _, r := range slices.Clone(p.regions) {
		if !r.darkest || !p.more() {
			continue
		}
		rect := r.rect.Intersect(p.luma.rect())
		pl, v := p.crop(r, rect)
		p.tryPlane(pl, v, StepChannel, !r.inverted, r.inverted)
	}
}

// borderStep decodes the image, or the regions that reach its edge,
// inside a border of paper: a code flush with the image's edge has no
// quiet zone, and the binarizer and the finder-pattern search need one.
// Small images (files, not camera frames) get a border all round.
func (p *pass) borderStep() {
	if p.luma.w*p.luma.h <= smallImage {
		pad := clampInt(min(p.luma.w, p.luma.h)/10, 16, 64)
		fill, normal, inverted := byte(0xff), true, false
		if p.inverted && p.lumaM[0] != nil && !p.anyRegion(false) {
			fill, normal, inverted = 0, false, true
		}
		pl := p.d.pad(p.luma, p.luma.rect(), pad, fill)
		p.tryPlane(pl, view{scale: 1, dx: -float64(pad), dy: -float64(pad)}, StepBorder, normal, inverted)
		return
	}
	for _, r := range slices.Clone(p.regions) {
		if !p.more() {
			return
		}
		in := r.rect.Intersect(p.luma.rect())
		if in == r.rect || in.Empty() {
			continue // not at the edge
		}
		pl, v := p.crop(r, in)
		fill := byte(0xff)
		if r.inverted {
			fill = 0
		}
		pad := int(8*r.module) + 1
		pl = p.d.pad(pl, pl.rect(), pad, fill)
		v.dx, v.dy = v.dx-float64(pad), v.dy-float64(pad)
		p.tryPlane(pl, v, StepBorder, !r.inverted, r.inverted)
	}
}

// anyRegion reports whether a region of the given polarity was seen.
func (p *pass) anyRegion(inverted bool) bool {
	for _, r := range slices.Clone(p.regions) {
		if r.inverted == inverted {
			return true
		}
	}
	return false
}

// smallImage is the most pixels an image may have for the border step to
// pad all of it.
const smallImage = 1 << 19

// upscaleStep decodes every region enlarged with bilinear interpolation,
// two or three times, so a module spans about 5 pixels. gozxing misjudges dense codes at 2 to
// 4 pixels a module; enlarged, their modules are found again.
func (p *pass) upscaleStep() {
	budget := maxUpscaled
	for _, r := range slices.Clone(p.regions) {
		if !p.more() {
			return
		}
		rect := r.rect.Intersect(p.luma.rect())
		if rect.Dx() < 8 || rect.Dy() < 8 {
			continue
		}
		scale := clampInt(int(math.Ceil(5/r.module)), 2, 4)
		for rect.Dx()*rect.Dy()*scale*scale > budget && scale > 2 {
			scale--
		}
		if rect.Dx()*rect.Dy()*scale*scale > budget {
			continue
		}
		budget -= rect.Dx() * rect.Dy() * scale * scale
		pl, v := p.crop(r, rect)
		pl = p.d.upscale(pl, scale)
		v.scale = float64(scale)
		p.tryPlane(pl, v, StepUpscale, !r.inverted, r.inverted)
	}
}

// sharpenStep decodes every region sharpened: an unsharp mask over about
// a module, which gives blur-smeared modules back their contrast, gently
// and then hard.
func (p *pass) sharpenStep() {
	for _, amount := range []float64{1, 2.5} {
		for _, r := range slices.Clone(p.regions) {
			if !p.more() {
				return
			}
			rect := r.rect.Intersect(p.luma.rect())
			pl, v := p.crop(r, rect)
			if pl.w < minDim || pl.h < minDim {
				continue
			}
			pl = p.d.sharpen(pl, max(1, int(r.module+0.5)), amount)
			p.tryPlane(pl, v, StepSharpen, !r.inverted, r.inverted)
		}
	}
}

// maxUpscaled bounds the pixels the upscale step makes for one image.
const maxUpscaled = 2 << 20

// pureStep decodes the luma plane as an image of nothing but the code,
// reading the modules straight off the black matrix from the corners of
// its dark pixels: a generated code that the finder-pattern search
// stumbles over still decodes. It costs next to nothing.
func (p *pass) pureStep() {
	for _, m := range p.lumaM {
		if m == nil {
			continue
		}
		bmp, _ := gozxing.NewBinaryBitmap(fixedBinarizer{m})
		res, err := p.d.reader.Decode(bmp, pureHints)
		if err != nil {
			continue
		}
		if p.add(decoded{res.GetText(), res.GetResultPoints()}, lumaView, StepPure) && !p.d.opts.Multi {
			return
		}
	}
}

var pureHints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}

// globalStep decodes every region where earlier steps saw something,
// binarized with one threshold from its own histogram, as gozxing's
// GlobalHistogramBinarizer does for a whole image: blurred and
// low-contrast codes may do better than with local thresholds.
func (p *pass) globalStep() {
	for _, r := range slices.Clone(p.regions) {
		if !p.more() {
			return
		}
		rect := r.rect.Intersect(p.luma.rect())
		pl, v := p.crop(r, rect)
		if m, ok := p.d.bin.global(pl, r.inverted, slotOther); ok {
			p.tryMatrix(m, v, StepGlobal, r.inverted)
		}
	}
}

// box returns the rectangle around the points grown by margin.
func box(xs, ys []float64, margin float64) image.Rectangle {
	x0, y0, x1, y1 := xs[0], ys[0], xs[0], ys[0]
	for i := range xs {
		x0, y0, x1, y1 = min(x0, xs[i]), min(y0, ys[i]), max(x1, xs[i]), max(y1, ys[i])
	}
	return image.Rect(int(x0-margin), int(y0-margin), int(math.Ceil(x1+margin)), int(math.Ceil(y1+margin)))
}

// minChanges is how often, per module, the modules between a code's
// finder patterns change colour at the least: random data does about
// every other module.
const minChanges = 0.15

// textured reports whether the black matrix m changes colour often enough
// along the segments between the given pairs of points, leaving out the
// 4 modules at either end that are the finder patterns themselves.
func textured(m *gozxing.BitMatrix, ms float64, ends ...gozxing.ResultPoint) bool {
	changes, modules := 0, 0.0
	for i := 0; i+1 < len(ends); i += 2 {
		a, b := ends[i], ends[i+1]
		d := gozxing.ResultPoint_Distance(a, b)
		n := int(2 * (d/ms - 8)) // samples every half module
		if n < 2 {
			continue
		}
		dx, dy := (b.GetX()-a.GetX())/d, (b.GetY()-a.GetY())/d
		start := 4 * ms
		prev := m.Get(int(a.GetX()+dx*start), int(a.GetY()+dy*start))
		for k := 1; k <= n; k++ {
			t := start + float64(k)*ms/2
			v := m.Get(int(a.GetX()+dx*t), int(a.GetY()+dy*t))
			if v != prev {
				changes++
			}
			prev = v
		}
		modules += float64(n) / 2
	}
	return modules == 0 || float64(changes) >= minChanges*modules
}

// fixedBinarizer hands gozxing a black matrix computed already.
type fixedBinarizer struct{ m *gozxing.BitMatrix }

func (b fixedBinarizer) GetLuminanceSource() gozxing.LuminanceSource { return nil }
func (b fixedBinarizer) GetBlackMatrix() (*gozxing.BitMatrix, error) { return b.m, nil }
func (b fixedBinarizer) GetWidth() int                               { return b.m.GetWidth() }
func (b fixedBinarizer) GetHeight() int                              { return b.m.GetHeight() }
func (b fixedBinarizer) CreateBinarizer(gozxing.LuminanceSource) gozxing.Binarizer {
	return b
}
func (b fixedBinarizer) GetBlackRow(y int, row *gozxing.BitArray) (*gozxing.BitArray, error) {
	return b.m.GetRow(y, row), nil
}
