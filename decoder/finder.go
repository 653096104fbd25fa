package decoder

import (
	"math"
	"math/bits"
	"slices"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	qrdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// scan is what a search for finder patterns in one black matrix found.
type scan struct {
	// found are the finder patterns gozxing's cross-checks confirmed, as
	// its FinderPatternFinder would hold them: merged, in the order found;
	// at most maxFound.
	found []*detector.FinderPattern
	// loose are the finder patterns only the tolerant checks confirmed,
	// but for those found holds already.
	loose []*detector.FinderPattern
	// windows counts row windows with a finder pattern's proportions of
	// dark modules; invWindows, up to invQuorum, those of light modules
	// that the column through their centre confirms: a white-on-black
	// code's finder patterns as this matrix shows them.
	windows, invWindows int
	// cells are where found are: the scanner's, until its next scan.
	cells *cells
}

// centers returns the finder patterns found: those that passed gozxing's
// cross-checks, then those only the tolerant ones passed.
func (s *scan) centers() []*detector.FinderPattern {
	return append(slices.Clip(s.found), s.loose...)
}

// maxFound bounds the finder patterns one scan keeps, about what a sheet
// of them at a pixel a module makes in a megapixel: more are confirmed
// but dropped, unless they merge with one kept.
const maxFound = 1 << 14

// scanner finds finder patterns. It walks the rows' runs a word at a time
// and hands every window of five runs with a finder pattern's 1:1:3:1:1
// proportions to confirm, gozxing's own checks; the windows those turn
// down, and those a pixel off their proportions, get looseCenter's
// tolerant checks. gozxing reads every pixel of every third row through a
// bounds-checked Get; this reads every other row and only its
// transitions, which is what makes an empty frame cheap: no window, no
// further work.
type scanner struct {
	row   *gozxing.BitArray
	ends  []int
	state []int
	cells cells // where the patterns found are, for confirm's merging
}

// scan searches m.
func (sc *scanner) scan(m *gozxing.BitMatrix) scan {
	w, h := m.GetWidth(), m.GetHeight()
	s := scan{cells: &sc.cells}
	f := detector.NewFinderPatternFinder(m, nil) // for its cross-checks
	sc.cells.reset(w, h)
	if sc.state == nil {
		sc.state = make([]int, 5)
	}
	for y := 1; y < h; y += 2 {
		sc.row = m.GetRow(y, sc.row)
		sc.ends = rowRuns(sc.row.GetBitArray(), w, sc.ends[:0])
		ends := sc.ends
		// Run k spans [ends[k-1], ends[k]); even runs are dark.
		for k := 0; k+4 < len(ends); k++ {
			start := 0
			if k > 0 {
				start = ends[k-1]
			}
			if !looseRatio(start, ends[k:k+5]) {
				continue
			}
			if k%2 == 1 {
				// Light on dark: worth an inverted matrix only if the
				// column through its centre agrees.
				if s.invWindows < invQuorum && finderRatio(start, ends[k:k+5]) && columnRatio(m, (ends[k+1]+ends[k+2])/2, y, 2*(ends[k+4]-start), false) {
					s.invWindows++
				}
				continue
			}
			s.windows++
			st := sc.state
			st[0] = ends[k] - start
			for i := 1; i < 5; i++ {
				st[i] = ends[k+i] - ends[k+i-1]
			}
			if finderRatio(start, ends[k:k+5]) && sc.confirm(f, &s, st, y, ends[k+4]) {
				continue
			}
			s.loose = addLoose(s.loose, looseCenter(m, st, y, ends[k+4]))
		}
	}
	// A pattern gozxing's checks confirmed on other rows is found's.
	kept := s.loose[:0]
	for _, l := range s.loose {
		ms := l.GetEstimatedModuleSize()
		if sc.cells.first(s.found, ms, l.GetY(), l.GetX()) < 0 &&
			!slices.ContainsFunc(kept, func(k *detector.FinderPattern) bool { return k.AboutEquals(ms, l.GetY(), l.GetX()) }) {
			kept = append(kept, l)
		}
	}
	s.loose = kept
	return s
}

// confirm is gozxing's FinderPatternFinder.HandlePossibleCenter for the row
// window st ending at column end of row y: the column, the row and the
// diagonal through its centre must show a finder pattern too, and the
// pattern is merged into the first found one it AboutEquals, or added.
// gozxing looks through every pattern found for the merge, which on a
// sheet of thousands of them is quadratic: this looks only in the cells
// around it.
func (sc *scanner) confirm(f *detector.FinderPatternFinder, s *scan, st []int, y, end int) bool {
	m := f.GetImage()
	total := st[0] + st[1] + st[2] + st[3] + st[4]
	// gozxing's cross-checks follow the centre's dark run to its end, across
	// the image for a long line, and only then find it too long: a sheet of
	// stripes made that quadratic. Runs longer than a cross-check accepts
	// (the cross's total within 40% of the row's) are turned down first.
	long := total * 7 / 5
	cx := detector.FinderPatternFinder_centerFromEnd(st, end)
	if darkRun(m, int(cx), y, 0, 1, long) > long {
		return false
	}
	cy := f.CrossCheckVertical(y, int(cx), st[2], total)
	if math.IsNaN(cy) || darkRun(m, int(cx), int(cy), 1, 0, long) > long {
		return false
	}
	cx = f.CrossCheckHorizontal(int(cx), int(cy), st[2], total)
	if math.IsNaN(cx) || !crossCheckDiagonal(m, int(cy), int(cx), 2*total) {
		return false
	}
	ms := float64(total) / 7
	if i := sc.cells.first(s.found, ms, cy, cx); i >= 0 {
		old := s.found[i]
		s.found[i] = old.CombineEstimate(cy, cx, ms)
		sc.cells.move(int32(i), old, s.found[i])
		return true
	}
	if len(s.found) < maxFound {
		sc.cells.add(int32(len(s.found)), cx, cy)
		s.found = append(s.found, detector.NewFinderPattern1(cx, cy, ms))
	}
	return true
}

// crossCheckDiagonal is gozxing's FinderPatternFinder.crossCheckDiagonal,
// which it does not export: the diagonal through the centre (x, y), up to
// the left and down to the right, must show 1:1:3:1:1 runs. Unlike
// gozxing's, it turns down a run longer than limit rather than follow it
// across the image; a finder pattern's are a fraction of its width.
func crossCheckDiagonal(m *gozxing.BitMatrix, y, x, limit int) bool {
	var st [5]int
	i := 0
	// Up and to the left: the centre run, the light ring, the dark ring.
	for k, dark := 2, true; k >= 0; k, dark = k-1, !dark {
		for y >= i && x >= i && m.Get(x-i, y-i) == dark && st[k] <= limit {
			st[k]++
			i++
		}
		if st[k] == 0 || st[k] > limit {
			return false
		}
	}
	w, h := m.GetWidth(), m.GetHeight()
	i = 1
	for k, dark := 2, true; k <= 4; k, dark = k+1, !dark {
		for y+i < h && x+i < w && m.Get(x+i, y+i) == dark && st[k] <= limit {
			st[k]++
			i++
		}
		if k > 2 && st[k] == 0 || st[k] > limit {
			return false
		}
	}
	return detector.FinderPatternFinder_foundPatternDiagonal(st[:])
}

// darkRun returns the length of the dark run through (x, y) along (dx,
// dy), or limit+1 once it is longer than limit.
func darkRun(m *gozxing.BitMatrix, x, y, dx, dy, limit int) int {
	w, h := m.GetWidth(), m.GetHeight()
	n := 0
	for _, sign := range [2]int{-1, 1} {
		i := 0
		if sign == 1 {
			i = 1 // (x, y) is counted going back
		}
		for ; n <= limit; i++ {
			px, py := x+sign*i*dx, y+sign*i*dy
			if px < 0 || py < 0 || px >= w || py >= h || !m.Get(px, py) {
				break
			}
			n++
		}
	}
	return n
}

// cellSize is the side, in pixels, of the cells in which a scan files the
// finder patterns found.
const cellSize = 32

// cells files finder patterns by where they are, so that finding those
// near a point looks at a few cells rather than at all of them. A cell
// holds the indices of the patterns whose centres are in it.
type cells struct {
	cols, rows int
	idx        [][]int32
	used       []int // cells holding indices, to empty on reset
}

// reset empties the cells and sizes them for a w×h matrix.
func (c *cells) reset(w, h int) {
	for _, i := range c.used {
		c.idx[i] = c.idx[i][:0]
	}
	c.used = c.used[:0]
	c.cols, c.rows = w/cellSize+1, h/cellSize+1
	if n := c.cols * c.rows; len(c.idx) < n {
		c.idx = append(c.idx, make([][]int32, n-len(c.idx))...)
	}
}

// at returns the cell of the point (x, y), clamped to the matrix.
func (c *cells) at(x, y float64) int {
	cx := clampInt(int(x)/cellSize, 0, c.cols-1)
	cy := clampInt(int(y)/cellSize, 0, c.rows-1)
	return cy*c.cols + cx
}

func (c *cells) add(i int32, x, y float64) {
	k := c.at(x, y)
	if len(c.idx[k]) == 0 {
		c.used = append(c.used, k)
	}
	c.idx[k] = append(c.idx[k], i)
}

// move refiles pattern i, which was old and is now fp.
func (c *cells) move(i int32, old, fp *detector.FinderPattern) {
	from, to := c.at(old.GetX(), old.GetY()), c.at(fp.GetX(), fp.GetY())
	if from == to {
		return
	}
	c.idx[from] = slices.DeleteFunc(c.idx[from], func(j int32) bool { return j == i })
	c.add(i, fp.GetX(), fp.GetY())
}

// first returns the index of the first pattern of found, in found's
// order, that AboutEquals a pattern of module size ms at row y, column x,
// or -1: the one gozxing would merge it with. Such a pattern is within ms
// of it in x and in y.
func (c *cells) first(found []*detector.FinderPattern, ms, y, x float64) int {
	best := -1
	c.near(x, y, ms, func(i int32) bool {
		if (best < 0 || int(i) < best) && found[i].AboutEquals(ms, y, x) {
			best = int(i)
		}
		return true
	})
	return best
}

// crowded reports whether found holds two patterns other than fp within
// 10 of fp's modules, their module sizes within 1.4 times its own: fp is
// one of a sheet of finder patterns, not one of a code's three.
func (c *cells) crowded(found []*detector.FinderPattern, fp *detector.FinderPattern) bool {
	ms := fp.GetEstimatedModuleSize()
	r := 10 * ms
	n := 0
	c.near(fp.GetX(), fp.GetY(), r, func(i int32) bool {
		o := found[i]
		oms := o.GetEstimatedModuleSize()
		if o != fp && max(ms, oms) <= 1.4*min(ms, oms) && squaredDistance(o, fp) < r*r {
			n++
		}
		return n < 2
	})
	return n >= 2
}

// near calls fn with the index of every pattern in the cells within r of
// (x, y) in x and in y, until fn returns false.
func (c *cells) near(x, y, r float64, fn func(int32) bool) {
	x0, x1 := clampInt(int(x-r)/cellSize, 0, c.cols-1), clampInt(int(x+r)/cellSize, 0, c.cols-1)
	y0, y1 := clampInt(int(y-r)/cellSize, 0, c.rows-1), clampInt(int(y+r)/cellSize, 0, c.rows-1)
	for cy := y0; cy <= y1; cy++ {
		for _, cell := range c.idx[cy*c.cols+x0 : cy*c.cols+x1+1] {
			for _, i := range cell {
				if !fn(i) {
					return
				}
			}
		}
	}
}

// looseRatio is finderRatio with up to a pixel more of slack on every run:
// at 2 pixels a module, and with the blur and tilt of a camera, a run is
// often a pixel off a whole half module.
func looseRatio(start int, ends []int) bool {
	c := [5]int{ends[0] - start, ends[1] - ends[0], ends[2] - ends[1], ends[3] - ends[2], ends[4] - ends[3]}
	return looseRuns(c)
}

func looseRuns(c [5]int) bool {
	total := c[0] + c[1] + c[2] + c[3] + c[4]
	if c[0] == 0 || c[1] == 0 || c[2] == 0 || c[3] == 0 || c[4] == 0 || total < 7 {
		return false
	}
	// |c - total/7| < total/14 + slack, in fourteenths, where the slack
	// is a pixel for modules from 1.7 pixels: below, noise would pass.
	slack := 0
	if total >= 12 {
		slack = 14
	}
	near := func(c int) bool { return 2*absInt(total-7*c) < total+slack }
	return near(c[0]) && near(c[1]) && near(c[3]) && near(c[4]) && 2*absInt(3*total-7*c[2]) < 3*total+slack
}

// looseCenter confirms a row window as a finder pattern with tolerant
// cross-checks, or returns nil: the column through its centre, the row
// through the column's centre and a diagonal must each show 1:1:3:1:1 with
// looseRuns' slack, and the column may be half to twice the row's length
// (tilt). gozxing's checks hold the column within 40% of the row and the
// runs within half a module, which strong perspective and the thick lines
// of small modules fail.
func looseCenter(m *gozxing.BitMatrix, st []int, y, end int) *detector.FinderPattern {
	total := st[0] + st[1] + st[2] + st[3] + st[4]
	cx := float64(end-st[4]-st[3]) - float64(st[2])/2
	limit := 3 * total
	vr, off, ok := runsThrough(m, int(cx), y, 0, 1, limit)
	vt := vr[0] + vr[1] + vr[2] + vr[3] + vr[4]
	if !ok || !looseRuns(vr) || 2*vt < total || vt > 2*total {
		return nil
	}
	cy := float64(y) + off
	hr, off, ok := runsThrough(m, int(cx), int(cy), 1, 0, limit)
	ht := hr[0] + hr[1] + hr[2] + hr[3] + hr[4]
	if !ok || !looseRuns(hr) || 2*ht < total || ht > 2*total {
		return nil
	}
	cx = float64(int(cx)) + off
	dr, _, ok := runsThrough(m, int(cx), int(cy), 1, 1, limit)
	if !ok || !looseRuns(dr) {
		return nil
	}
	return detector.NewFinderPattern1(cx, cy, float64(ht+vt)/14)
}

// addLoose adds a loosely confirmed finder pattern to fps, merged with one
// at the same place as gozxing's FinderPatternFinder merges its own.
func addLoose(fps []*detector.FinderPattern, fp *detector.FinderPattern) []*detector.FinderPattern {
	if fp == nil {
		return fps
	}
	for i, o := range fps {
		if o.AboutEquals(fp.GetEstimatedModuleSize(), fp.GetY(), fp.GetX()) {
			fps[i] = o.CombineEstimate(fp.GetY(), fp.GetX(), fp.GetEstimatedModuleSize())
			return fps
		}
	}
	if len(fps) >= maxLoose {
		return fps
	}
	return append(fps, fp)
}

// maxLoose bounds the loosely confirmed finder patterns one scan keeps:
// noise in a dark frame can make thousands.
const maxLoose = 256

// runsThrough measures, along the direction (dx, dy) through the dark
// pixel (x, y), the dark run it is in and the light and dark runs on
// either side, each at most limit long; the outer runs may end at the
// image's edge. off is where the middle run's centre lies from (x, y),
// in gozxing's convention that a pixel spans [x, x+1).
func runsThrough(m *gozxing.BitMatrix, x, y, dx, dy, limit int) (runs [5]int, off float64, ok bool) {
	w, h := m.GetWidth(), m.GetHeight()
	if x < 0 || y < 0 || x >= w || y >= h || !m.Get(x, y) {
		return runs, 0, false
	}
	var back, fwd [3]int
	for dir, parts := range [2]*[3]int{&back, &fwd} {
		step := -1
		o := 0 // back counts (x, y) itself in its centre part
		if dir == 1 {
			step, o = 1, 1
		}
		for part, want := 0, true; part < 3; part, want = part+1, !want {
			for {
				px, py := x+step*o*dx, y+step*o*dy
				if px < 0 || py < 0 || px >= w || py >= h {
					if part == 2 && parts[2] > 0 {
						break
					}
					return runs, 0, false
				}
				if m.Get(px, py) != want {
					break
				}
				parts[part]++
				o++
				if parts[part] > limit {
					return runs, 0, false
				}
			}
		}
	}
	runs = [5]int{back[2], back[1], back[0] + fwd[0], fwd[1], fwd[2]}
	return runs, float64(fwd[0]-back[0]+2) / 2, true
}

// invQuorum is how many confirmed light-on-dark windows make the inverted
// matrix worth computing: a code has three finder patterns, each crossed
// by more than one row.
const invQuorum = 3

// columnRatio reports whether the column x, within reach of row y, shows
// a finder pattern's 1:1:3:1:1 runs centred on y: of set bits if set, else
// of clear ones.
func columnRatio(m *gozxing.BitMatrix, x, y, reach int, set bool) bool {
	h := min(m.GetHeight(), y+reach)
	top := max(-1, y-reach)
	if m.Get(x, y) != set {
		return false
	}
	var ends [6]int // run boundaries: ends[0] top of the outer run … ends[5] bottom
	up, down := y, y
	// Up through the centre run, the ring and the outer run.
	for k, want := 2, set; k >= 0; k, want = k-1, !want {
		for up > top && m.Get(x, up) == want {
			up--
		}
		if up <= top && k > 0 {
			return false
		}
		ends[k] = up + 1
	}
	for k, want := 3, set; k <= 5; k, want = k+1, !want {
		for down < h && m.Get(x, down) == want {
			down++
		}
		if down >= h && k < 5 {
			return false
		}
		ends[k] = down
	}
	return finderRatio(ends[0], ends[1:])
}

// rowRuns appends to ends the end of every run of equal bits in the first
// width bits of words, the first run being of set bits (empty if the row
// starts with a clear one).
func rowRuns(words []uint32, width int, ends []int) []int {
	prev := uint32(1) // pixel -1 counts as set
	for k, w := range words {
		t := w ^ (w<<1 | prev)
		prev = w >> 31
		if rest := width - k*32; rest < 32 {
			if rest <= 0 {
				break
			}
			t &= 1<<rest - 1
		}
		for t != 0 {
			ends = append(ends, k*32+bits.TrailingZeros32(t))
			t &= t - 1
		}
	}
	return append(ends, width)
}

// finderRatio reports whether the five runs ending at ends, the first
// starting at start, have gozxing's foundPatternCross proportions: each
// within half a module of 1:1:3:1:1.
func finderRatio(start int, ends []int) bool {
	c0, c1, c2, c3, c4 := ends[0]-start, ends[1]-ends[0], ends[2]-ends[1], ends[3]-ends[2], ends[4]-ends[3]
	if c0 == 0 || c1 == 0 || c2 == 0 || c3 == 0 || c4 == 0 {
		return false
	}
	total := c0 + c1 + c2 + c3 + c4
	if total < 7 {
		return false
	}
	near := func(c int) bool { return 2*absInt(total-7*c) < total }
	return near(c0) && near(c1) && near(c3) && near(c4) && 2*absInt(3*total-7*c2) < 3*total
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// triple is three finder patterns that may be one code's.
type triple struct {
	bl, tl, tr *detector.FinderPattern
	score      float64 // 0 for an isosceles right triangle
}

// sameAs reports whether t and o are the same patterns in the same roles.
func (t triple) sameAs(o triple) bool { return t.bl == o.bl && t.tl == o.tl && t.tr == o.tr }

// maxCenters bounds the finder patterns a matrix's search for a code looks
// at (see strongest): every step of it is at most cubic in them.
const maxCenters = 40

// strongest returns the n patterns of cs most likely to be a code's
// finder patterns, or cs itself if it has no more than n: first those
// without two others of about their module size among s.found within 10
// modules, as a code's finder patterns are 14 modules apart or more,
// while a sheet of them has neighbours at 8; then the most often
// confirmed.
func (s *scan) strongest(cs []*detector.FinderPattern, n int) []*detector.FinderPattern {
	if len(cs) <= n {
		return cs
	}
	type ranked struct {
		fp      *detector.FinderPattern
		crowded bool
	}
	rs := make([]ranked, len(cs))
	for i, fp := range cs {
		rs[i] = ranked{fp, s.cells.crowded(s.found, fp)}
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].crowded != rs[j].crowded {
			return !rs[i].crowded
		}
		return rs[i].fp.GetCount() > rs[j].fp.GetCount()
	})
	out := make([]*detector.FinderPattern, n)
	for i := range out {
		out[i] = rs[i].fp
	}
	return out
}

// triples returns the plausible triples among cs, the most square first:
// similar module sizes, the corner pattern's sides at about a right angle
// and of about equal length (up to perspective), and between 10 and 290
// modules long. gozxing's SelectBestPatterns keeps only the best of these,
// and takes the corner to be the pattern opposite the longest side, which
// under strong perspective it is not; when the first fails to decode, the
// next may not. The search is cubic in cs: it stops early, with the
// triples of the patterns looked at so far, once inTime reports false.
func triples(cs []*detector.FinderPattern, inTime func() bool) []triple {
	var ts []triple
	for i := 0; i < len(cs); i++ {
		if i > 0 && !inTime() {
			break
		}
		for j := i + 1; j < len(cs); j++ {
			for k := j + 1; k < len(cs); k++ {
				a, b, c := cs[i], cs[j], cs[k]
				for _, corner := range [3][3]*detector.FinderPattern{{a, b, c}, {b, a, c}, {c, a, b}} {
					if t, ok := makeTriple(corner[0], corner[1], corner[2]); ok {
						ts = insertBest(ts, t)
					}
				}
			}
		}
	}
	return ts
}

// bySize returns cs sorted by module size, smallest first, as gozxing's
// SelectBestPatterns sorts them.
func bySize(cs []*detector.FinderPattern) []*detector.FinderPattern {
	cs = slices.Clone(cs)
	sort.Slice(cs, func(i, j int) bool { return cs[j].GetEstimatedModuleSize() > cs[i].GetEstimatedModuleSize() })
	return cs
}

// selectBest is gozxing's SelectBestPatterns on cs sorted by bySize: of
// the triples of patterns within 1.4 times each other's module size, the
// one most like an isosceles right triangle.
func selectBest(cs []*detector.FinderPattern) (triple, bool) {
	var best [3]*detector.FinderPattern
	distortion := math.MaxFloat64
	for i := 0; i+2 < len(cs); i++ {
		for j := i + 1; j+1 < len(cs); j++ {
			ij := squaredDistance(cs[i], cs[j])
			for k := j + 1; k < len(cs); k++ {
				if cs[k].GetEstimatedModuleSize() > cs[i].GetEstimatedModuleSize()*1.4 {
					continue
				}
				a, b, c := ij, squaredDistance(cs[j], cs[k]), squaredDistance(cs[i], cs[k])
				// Sorted: lo ≤ mid ≤ hi. Pythagoras and equal sides.
				lo, mid, hi := min(a, b, c), max(min(a, b), min(max(a, b), c)), max(a, b, c)
				if d := math.Abs(hi-2*mid) + math.Abs(hi-2*lo); d < distortion {
					distortion, best = d, [3]*detector.FinderPattern{cs[i], cs[j], cs[k]}
				}
			}
		}
	}
	if distortion == math.MaxFloat64 {
		return triple{}, false
	}
	bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(best[0], best[1], best[2])
	return triple{bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern), 0}, true
}

// maxMultiCenters bounds the finder patterns multiTriples groups: a sheet
// of 32 cards.
const maxMultiCenters = 96

// multiTriples returns the triples gozxing's MultiFinderPatternFinder
// makes of cs for a page of many codes, every one that passes its tests:
// module sizes apart by less than 5% or half a pixel, sides of 9 to 180
// modules and within 10% of each other, and a right angle, the diagonal
// within 10% of Pythagoras'. The search is cubic in cs: it stops early
// once inTime reports false.
func multiTriples(cs []*detector.FinderPattern, inTime func() bool) []triple {
	cs = slices.Clone(cs)
	sort.Slice(cs, func(i, j int) bool { return cs[i].GetEstimatedModuleSize() > cs[j].GetEstimatedModuleSize() })
	// cs is sorted largest first: once b is too small for a, so are those after it.
	apart := func(a, b *detector.FinderPattern) bool {
		d := a.GetEstimatedModuleSize() - b.GetEstimatedModuleSize()
		return d > 0.5 && d/b.GetEstimatedModuleSize() >= 0.05
	}
	var ts []triple
	for i, a := range cs {
		if i > 0 && !inTime() {
			break
		}
		for j := i + 1; j < len(cs) && !apart(a, cs[j]); j++ {
			for k := j + 1; k < len(cs) && !apart(cs[j], cs[k]); k++ {
				bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(a, cs[j], cs[k])
				dA, dB := gozxing.ResultPoint_Distance(tl, bl), gozxing.ResultPoint_Distance(tl, tr)
				dC, diag := gozxing.ResultPoint_Distance(tr, bl), math.Hypot(dA, dB)
				modules := (dA + dB) / (2 * a.GetEstimatedModuleSize())
				if modules < 9 || modules > 180 || math.Abs(dA-dB) >= 0.1*min(dA, dB) || math.Abs(dC-diag) >= 0.1*min(dC, diag) {
					continue
				}
				ts = append(ts, triple{bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern), 0})
			}
		}
	}
	return ts
}

func squaredDistance(a, b *detector.FinderPattern) float64 {
	dx, dy := a.GetX()-b.GetX(), a.GetY()-b.GetY()
	return dx*dx + dy*dy
}

// maxTriples bounds the triples triples returns: more than any step
// tries.
const maxTriples = 32

// insertBest inserts t into ts, kept sorted by score and at most
// maxTriples long.
func insertBest(ts []triple, t triple) []triple {
	if len(ts) == maxTriples && t.score >= ts[len(ts)-1].score {
		return ts
	}
	i := sort.Search(len(ts), func(i int) bool { return ts[i].score > t.score })
	if len(ts) < maxTriples {
		ts = append(ts, triple{})
	}
	copy(ts[i+1:], ts[i:])
	ts[i] = t
	return ts
}

// makeTriple scores the finder patterns as a code's top-left corner and
// its two neighbours, or reports that they cannot be one code's.
func makeTriple(corner, a, b *detector.FinderPattern) (triple, bool) {
	ms := [3]float64{corner.GetEstimatedModuleSize(), a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize()}
	lo, hi := min(ms[0], ms[1], ms[2]), max(ms[0], ms[1], ms[2])
	if hi > lo*2 {
		return triple{}, false
	}
	ax, ay := a.GetX()-corner.GetX(), a.GetY()-corner.GetY()
	bx, by := b.GetX()-corner.GetX(), b.GetY()-corner.GetY()
	la, lb := math.Hypot(ax, ay), math.Hypot(bx, by)
	least := (ms[0] + ms[1] + ms[2]) / 3 / math.Sqrt2 // the least a module can be
	if la/least < 10 || lb/least < 10 || la/least > 290 || lb/least > 290 {
		return triple{}, false
	}
	cos := (ax*bx + ay*by) / (la * lb)
	ratio := math.Log(la / lb)
	if math.Abs(cos) > 0.64 || math.Abs(ratio) > math.Log(3) {
		return triple{}, false
	}
	score := math.Abs(cos) + math.Abs(ratio)
	// Module sizes apart by more than gozxing allows (1.4) happen under
	// strong perspective, and a pattern seen on one row only is as often
	// a bit of data: both count against the triple.
	if hi > lo*1.4 {
		score += 0.3
	}
	for _, p := range []*detector.FinderPattern{corner, a, b} {
		if p.GetCount() < 2 {
			score += 0.4
		}
	}
	// Which neighbour is top-right: as gozxing's OrderBestPatterns.
	bl, tr := a, b
	if (tr.GetX()-corner.GetX())*(bl.GetY()-corner.GetY())-(tr.GetY()-corner.GetY())*(bl.GetX()-corner.GetX()) < 0 {
		bl, tr = tr, bl
	}
	return triple{bl, corner, tr, score}, true
}

// moduleSize estimates the size of a module from the finder patterns'
// widths. Those were measured along a row, which crosses a finder pattern
// turned by θ over 1/max(|cos θ|, |sin θ|) times its width: up to 41% more
// at 45°.
func (t triple) moduleSize() float64 {
	ms := (t.bl.GetEstimatedModuleSize() + t.tl.GetEstimatedModuleSize() + t.tr.GetEstimatedModuleSize()) / 3
	dx, dy := t.tr.GetX()-t.tl.GetX(), t.tr.GetY()-t.tl.GetY()
	d := math.Hypot(dx, dy)
	if d == 0 {
		return ms
	}
	return ms * max(math.Abs(dx), math.Abs(dy)) / d
}

// decoded is a code read from a black matrix, in the matrix's coordinates.
type decoded struct {
	text   string
	points []gozxing.ResultPoint
}

// sampler reads codes from a black matrix given its finder patterns.
type sampler struct {
	dec   *qrdecoder.Decoder
	hints map[gozxing.DecodeHintType]any
}

// read decodes the code whose finder patterns are t: first exactly as
// gozxing's Detector would, then with other guesses at its size and
// without the alignment pattern. At 2 to 4 pixels a module, or turned by
// 45°, gozxing often misjudges a dense code's size by a version or two
// (91 modules for 93), or takes some other 1:1:1 pattern for the
// alignment pattern, and everything after fails. The version
// information, the format information's BCH code and the Reed-Solomon
// error correction refuse the wrong guesses, so trying them costs a
// little time and never a wrong text.
func (s *sampler) read(m *gozxing.BitMatrix, t triple) (decoded, bool) {
	if res, ok := s.readAsGozxing(m, t); ok {
		return res, true
	}
	dist := (gozxing.ResultPoint_Distance(t.tl, t.tr) + gozxing.ResultPoint_Distance(t.tl, t.bl)) / 2
	dims := dimensionsNear(dist/lineModuleSize(m, t)+7, 3)
	for _, dim := range dimensionsNear(dist/t.moduleSize()+7, 2) {
		if !slices.Contains(dims, dim) {
			dims = append(dims, dim)
		}
	}
	// Under perspective gozxing's alignment search, holding the pattern
	// to the code's mean module size, often fails or takes a data module
	// for it: the loose search's few nearest candidates come next, and
	// no alignment pattern at all last.
	var loose []*detector.AlignmentPattern
	for i, dim := range dims {
		x, y := alignmentEstimate(t, dim)
		ms := dist / float64(dim-7)
		if i == 0 {
			loose = alignmentCandidates(m, x, y, ms, 12*ms)
		}
		var aps []*detector.AlignmentPattern
		if v, err := qrdecoder.Version_GetProvisionalVersionForDimension(dim); err == nil && len(v.GetAlignmentPatternCenters()) > 0 {
			for allowance := 4.0; allowance <= 16; allowance *= 2 {
				if ap := findAlignment(m, ms, int(x), int(y), allowance); ap != nil {
					aps = append(aps, ap)
					break
				}
			}
			aps = append(aps, loose...)
		}
		aps = append(aps, nil)
		for _, ap := range aps {
			dr, ok := sampleCode(m, t, dim, ap)
			if !ok {
				continue
			}
			if res, ok := s.decode(dr); ok {
				return res, true
			}
		}
	}
	return decoded{}, false
}

// timingAgrees reports whether the first modules of the two timing
// patterns, which alternate dark and light along row and column 6 from
// the top-left finder pattern, are there in m if t is a code: a cheap
// test that rules out most triples of patterns that are no code's before
// the costly sampling. It steps by the module size the top-left pattern
// itself measures towards each neighbour, so it needs neither the code's
// size nor a perspective-free view.
func timingAgrees(m *gozxing.BitMatrix, t triple) bool {
	ox, oy := t.tl.GetX(), t.tl.GetY()
	var axes [2][2]float64 // a module's step along the rows, down the columns
	for i, to := range []gozxing.ResultPoint{t.tr, t.bl} {
		dx, dy := to.GetX()-ox, to.GetY()-oy
		d := math.Hypot(dx, dy)
		pitch := runBothWays(m, int(ox), int(oy), int(to.GetX()), int(to.GetY())) / 7
		if math.IsNaN(pitch) || pitch <= 0 {
			pitch = t.moduleSize()
		}
		axes[i] = [2]float64{dx / d * pitch, dy / d * pitch}
	}
	agree := 0
	for i := 0; i < timingModules; i++ {
		along := 8 + float64(i) - 3 // from the centre of module 3
		dark := i%2 == 0            // modules 8, 10, … are dark
		for k := 0; k < 2; k++ {
			a, b := axes[k], axes[1-k]
			x := ox + along*a[0] + 3*b[0]
			y := oy + along*a[1] + 3*b[1]
			if m.Get(int(x), int(y)) == dark {
				agree++
			}
		}
	}
	return agree >= minTiming
}

// The timing test: of the first timingModules modules of each timing
// pattern, minTiming must agree (chance agrees with half).
const (
	timingModules = 8
	minTiming     = 11
)

// alignmentEstimate is where gozxing expects the bottom-right alignment
// pattern of a code of dim modules: 3 modules in from the corner the
// finder patterns make a parallelogram with.
func alignmentEstimate(t triple, dim int) (x, y float64) {
	brX := t.tr.GetX() - t.tl.GetX() + t.bl.GetX()
	brY := t.tr.GetY() - t.tl.GetY() + t.bl.GetY()
	c := 1 - 3/float64(dim-7)
	return t.tl.GetX() + c*(brX-t.tl.GetX()), t.tl.GetY() + c*(brY-t.tl.GetY())
}

// sampleCode samples the code of dim modules whose finder patterns are t,
// and ap its bottom-right alignment pattern if not nil.
func sampleCode(m *gozxing.BitMatrix, t triple, dim int, ap *detector.AlignmentPattern) (*common.DetectorResult, bool) {
	transform := detector.Detector_createTransform(t.tl, t.tr, t.bl, ap, dim)
	bits, err := detector.Detector_sampleGrid(m, transform, dim)
	if err != nil {
		return nil, false
	}
	points := []gozxing.ResultPoint{t.bl, t.tl, t.tr}
	if ap != nil {
		points = append(points, ap)
	}
	return common.NewDetectorResult(bits, points), true
}

// maxAlignments bounds the candidates alignmentCandidates returns.
const maxAlignments = 3

// alignmentCandidates looks within radius of (x, y) for what may be an
// alignment pattern, more tolerantly than gozxing: a dark module in a
// light ring in a dark ring, 1:1:1:1:1 across and down within looseRuns'
// slack, its modules half to twice ms. It returns the nearest few.
func alignmentCandidates(m *gozxing.BitMatrix, x, y, ms, radius float64) []*detector.AlignmentPattern {
	x0, x1 := max(0, int(x-radius)), min(m.GetWidth()-1, int(x+radius))
	y0, y1 := max(0, int(y-radius)), min(m.GetHeight()-1, int(y+radius))
	type cand struct {
		ap   *detector.AlignmentPattern
		dist float64
	}
	var cs []cand
	limit := int(2*ms) + 2
	for yy := y0; yy <= y1; yy++ {
		for xx := x0; xx <= x1; xx++ {
			// Only the first dark pixel of a run: runsThrough measures it all.
			if !m.Get(xx, yy) || xx > x0 && m.Get(xx-1, yy) {
				continue
			}
			hr, off, ok := runsThrough(m, xx, yy, 1, 0, limit)
			if !ok || !alignmentRuns(hr, ms) {
				continue
			}
			cx := float64(xx) + off
			vr, off, ok := runsThrough(m, int(cx), yy, 0, 1, limit)
			if !ok || !alignmentRuns(vr, ms) {
				continue
			}
			cy := float64(yy) + off
			size := float64(hr[0]+hr[1]+hr[2]+hr[3]+hr[4]+vr[0]+vr[1]+vr[2]+vr[3]+vr[4]) / 10
			dup := false
			for _, c := range cs {
				if math.Abs(c.ap.GetX()-cx) < size && math.Abs(c.ap.GetY()-cy) < size {
					dup = true
					break
				}
			}
			if !dup {
				cs = append(cs, cand{detector.NewAlignmentPattern(cx, cy, size), math.Hypot(cx-x, cy-y)})
			}
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].dist < cs[j].dist })
	var aps []*detector.AlignmentPattern
	for _, c := range cs[:min(len(cs), maxAlignments)] {
		aps = append(aps, c.ap)
	}
	return aps
}

// alignmentRuns reports whether five runs look like an alignment pattern
// crossed through its centre: about equal, with a pixel of slack, each
// half to twice ms. The outer runs are the dark ring and may run on into
// dark modules around it, so they need only be long enough.
func alignmentRuns(r [5]int, ms float64) bool {
	u := float64(r[1]+r[2]+r[3]) / 3
	if u < ms/2 || u > 2*ms {
		return false
	}
	for _, c := range r[1:4] {
		if math.Abs(float64(c)-u) > u/2+1 {
			return false
		}
	}
	return float64(r[0]) > u/2-1 && float64(r[4]) > u/2-1
}

// readAsGozxing decodes the code whose finder patterns are t exactly as
// gozxing's Detector would.
func (s *sampler) readAsGozxing(m *gozxing.BitMatrix, t triple) (decoded, bool) {
	info := detector.NewFinderPatternInfo(t.bl, t.tl, t.tr)
	dr, err := detector.NewDetector(m).ProcessFinderPatternInfo(info)
	if err != nil {
		return decoded{}, false
	}
	return s.decode(dr)
}

// dimensionsNear returns the n QR sizes (21, 25, … 177 modules) nearest
// to est, nearest first.
func dimensionsNear(est float64, n int) []int {
	if !(est > 0 && est < 1000) { // NaN too: a failed measurement
		return nil
	}
	v := int(math.Round((est - 17) / 4))
	var dims []int
	for _, dv := range []int{0, 1, -1, 2, -2} {
		if k := v + dv; k >= 1 && k <= 40 {
			dims = append(dims, 17+4*k)
		}
	}
	sort.SliceStable(dims, func(i, j int) bool {
		return math.Abs(float64(dims[i])-est) < math.Abs(float64(dims[j])-est)
	})
	return dims[:min(n, len(dims))]
}

// findAlignment looks for an alignment pattern within allowance modules of
// x, y, as gozxing's Detector.findAlignmentInRegion does.
func findAlignment(m *gozxing.BitMatrix, ms float64, x, y int, allowance float64) *detector.AlignmentPattern {
	a := int(allowance * ms)
	left, right := max(0, x-a), min(m.GetWidth()-1, x+a)
	top, bottom := max(0, y-a), min(m.GetHeight()-1, y+a)
	if float64(right-left) < ms*3 || float64(bottom-top) < ms*3 {
		return nil
	}
	ap, err := detector.NewAlignmentPatternFinder(m, left, top, right-left, bottom-top, ms, nil).Find()
	if err != nil {
		return nil
	}
	return ap
}

// decode runs gozxing's decoder, with its Reed-Solomon error correction,
// on sampled modules.
func (s *sampler) decode(dr *common.DetectorResult) (decoded, bool) {
	res, err := s.dec.Decode(dr.GetBits(), s.hints)
	if err != nil {
		return decoded{}, false
	}
	points := append([]gozxing.ResultPoint(nil), dr.GetPoints()...)
	if meta, ok := res.GetOther().(*qrdecoder.QRCodeDecoderMetaData); ok {
		meta.ApplyMirroredCorrection(points)
	}
	return decoded{res.GetText(), points}, true
}

// lineModuleSize estimates the module size as gozxing's Detector does, from
// the black-white-black runs through each finder pattern along the lines
// joining them, which unlike row widths do not depend on rotation.
func lineModuleSize(m *gozxing.BitMatrix, t triple) float64 {
	return (lineModuleSizeOneWay(m, t.tl, t.tr) + lineModuleSizeOneWay(m, t.tl, t.bl)) / 2
}

func lineModuleSizeOneWay(m *gozxing.BitMatrix, a, b gozxing.ResultPoint) float64 {
	e1 := runBothWays(m, int(a.GetX()), int(a.GetY()), int(b.GetX()), int(b.GetY()))
	e2 := runBothWays(m, int(b.GetX()), int(b.GetY()), int(a.GetX()), int(a.GetY()))
	switch {
	case math.IsNaN(e1):
		return e2 / 7
	case math.IsNaN(e2):
		return e1 / 7
	}
	return (e1 + e2) / 14
}

// runBothWays is gozxing's sizeOfBlackWhiteBlackRunBothWays: the length of
// the black-white-black run from (fromX, fromY) towards (toX, toY) and
// away from it, clipped to the image.
func runBothWays(m *gozxing.BitMatrix, fromX, fromY, toX, toY int) float64 {
	result := blackWhiteBlackRun(m, fromX, fromY, toX, toY)
	w, h := m.GetWidth(), m.GetHeight()
	scale := 1.0
	otherToX := fromX - (toX - fromX)
	if otherToX < 0 {
		scale = float64(fromX) / float64(fromX-otherToX)
		otherToX = 0
	} else if otherToX >= w {
		scale = float64(w-1-fromX) / float64(otherToX-fromX)
		otherToX = w - 1
	}
	otherToY := int(float64(fromY) - float64(toY-fromY)*scale)
	scale = 1.0
	if otherToY < 0 {
		scale = float64(fromY) / float64(fromY-otherToY)
		otherToY = 0
	} else if otherToY >= h {
		scale = float64(h-1-fromY) / float64(otherToY-fromY)
		otherToY = h - 1
	}
	otherToX = int(float64(fromX) + float64(otherToX-fromX)*scale)
	result += blackWhiteBlackRun(m, fromX, fromY, otherToX, otherToY)
	return result - 1 // the middle pixel counted twice
}

// blackWhiteBlackRun is gozxing's sizeOfBlackWhiteBlackRun: Bresenham
// from (fromX, fromY) towards (toX, toY) until the third change of colour.
func blackWhiteBlackRun(m *gozxing.BitMatrix, fromX, fromY, toX, toY int) float64 {
	steep := absInt(toY-fromY) > absInt(toX-fromX)
	if steep {
		fromX, fromY, toX, toY = fromY, fromX, toY, toX
	}
	dx, dy := absInt(toX-fromX), absInt(toY-fromY)
	e := -dx / 2
	xstep, ystep := 1, 1
	if fromX >= toX {
		xstep = -1
	}
	if fromY >= toY {
		ystep = -1
	}
	state := 0
	for x, y := fromX, fromY; x != toX+xstep; x += xstep {
		rx, ry := x, y
		if steep {
			rx, ry = y, x
		}
		if (state == 1) == m.Get(rx, ry) {
			if state == 2 {
				return math.Hypot(float64(x-fromX), float64(y-fromY))
			}
			state++
		}
		e += dy
		if e > 0 {
			if y == toY {
				break
			}
			y += ystep
			e -= dx
		}
	}
	if state == 2 {
		return math.Hypot(float64(toX+xstep-fromX), float64(toY-fromY))
	}
	return math.NaN()
}
