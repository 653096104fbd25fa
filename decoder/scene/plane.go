package scene

import (
	"image"
	"math"
	"runtime"
	"sync"
)

// mat3 is a 3×3 matrix, row by row: a homography between the code's plane,
// in modules from the symbol's top-left corner, and the image, in pixels.
type mat3 [9]float64

// apply maps (x, y) through m; ok is false for a point behind the camera.
func (m *mat3) apply(x, y float64) (float64, float64, bool) {
	w := m[6]*x + m[7]*y + m[8]
	if w <= 1e-9 {
		return 0, 0, false
	}
	return (m[0]*x + m[1]*y + m[2]) / w, (m[3]*x + m[4]*y + m[5]) / w, true
}

func (m *mat3) mul(o *mat3) mat3 {
	var r mat3
	for i := range 3 {
		for j := range 3 {
			r[i*3+j] = m[i*3]*o[j] + m[i*3+1]*o[3+j] + m[i*3+2]*o[6+j]
		}
	}
	return r
}

// inverse returns m's inverse, scaled so that a point in front of the
// camera keeps a positive w.
func (m *mat3) inverse() mat3 {
	a := mat3{
		m[4]*m[8] - m[5]*m[7], m[2]*m[7] - m[1]*m[8], m[1]*m[5] - m[2]*m[4],
		m[5]*m[6] - m[3]*m[8], m[0]*m[8] - m[2]*m[6], m[2]*m[3] - m[0]*m[5],
		m[3]*m[7] - m[4]*m[6], m[1]*m[6] - m[0]*m[7], m[0]*m[4] - m[1]*m[3],
	}
	det := m[0]*a[0] + m[1]*a[3] + m[2]*a[6]
	for i := range a {
		a[i] /= det
	}
	return a
}

// focal returns the camera's focal length in pixels for a frame: a
// horizontal field of view of about 58°, a phone's or a webcam's.
func focal(width, height int) float64 { return 0.9 * float64(max(width, height)) }

// homography returns the map from the plane of a symbol of n modules to
// the image: a pinhole camera looking at the plane turned by p.Angle,
// tilted by p.TiltX and p.TiltY, at the distance where a module at the
// centre spans p.ModulePx pixels.
func homography(p *Params, n int) mat3 {
	f := focal(p.Width, p.Height)
	dist := f / p.ModulePx // in modules
	rad := math.Pi / 180
	sz, cz := math.Sincos(p.Angle * rad)
	sx, cx := math.Sincos(p.TiltX * rad)
	sy, cy := math.Sincos(p.TiltY * rad)
	rz := mat3{cz, -sz, 0, sz, cz, 0, 0, 0, 1}
	rx := mat3{1, 0, 0, 0, cx, -sx, 0, sx, cx}
	ry := mat3{cy, 0, sy, 0, 1, 0, -sy, 0, cy}
	t := ry.mul(&rx)
	r := t.mul(&rz)
	half := float64(n) / 2
	// Columns: the plane's x and y axes, and the symbol's top-left corner
	// in camera space.
	tx, ty := p.OffsetX*dist/f, p.OffsetY*dist/f
	ext := mat3{
		r[0], r[1], tx - half*(r[0]+r[1]),
		r[3], r[4], ty - half*(r[3]+r[4]),
		r[6], r[7], dist - half*(r[6]+r[7]),
	}
	k := mat3{f, 0, float64(p.Width) / 2, 0, f, float64(p.Height) / 2, 0, 0, 1}
	return k.mul(&ext)
}

// rect is an axis-aligned rectangle in the code's plane, in modules.
type rect struct{ x0, y0, x1, y1 float64 }

func (r rect) has(u, v float64) bool { return u >= r.x0 && u < r.x1 && v >= r.y0 && v < r.y1 }

// hasRounded is has with corners rounded to radius rr.
func (r rect) hasRounded(u, v, rr float64) bool {
	if !r.has(u, v) {
		return false
	}
	dx := max(r.x0+rr-u, u-(r.x1-rr))
	if dx <= 0 {
		return true
	}
	dy := max(r.y0+rr-v, v-(r.y1-rr))
	return dy <= 0 || dx*dx+dy*dy <= rr*rr
}

// A textLine is a line of text-like glyphs on a carrier.
type textLine struct {
	r    rect
	seed uint32
}

// plane is what the code's plane shows: the symbol, its carrier, and the
// carrier's band and text, as colours at plane coordinates.
type plane struct {
	n       int
	modules []bool // n×n, row by row; nil: no code
	carrier Carrier

	outer  rect    // the carrier's outline; outside it is the background
	radius float64 // of outer's corners
	screen rect    // phone: the screen inside the body
	code   rect    // the symbol and its quiet zone
	band   rect    // the coloured band or header
	lines  []textLine

	ink, light, body, bandColor, textColor rgb
}

// newPlane lays out the carrier of a symbol (modules nil: of a blank
// space) as p describes.
func newPlane(modules [][]bool, p *Params) *plane {
	pl := &plane{n: emptyModules, carrier: p.Carrier}
	if modules != nil {
		pl.n = len(modules)
		pl.modules = make([]bool, 0, pl.n*pl.n)
		for _, row := range modules {
			pl.modules = append(pl.modules, row...)
		}
	}
	n, q := float64(pl.n), p.QuietZone
	cw := n + 2*q // the code area's side
	pl.code = rect{-q, -q, n + q, n + q}

	bandColor := inkColors[InkGreen]
	if p.Ink != InkBlack {
		bandColor = inkColors[p.Ink]
	}
	pl.bandColor = bandColor
	pl.body = rgb{0.06, 0.06, 0.07}
	switch p.Carrier {
	case CarrierCard:
		pl.light = rgb{0.9, 0.9, 0.88}
		pl.ink = inkColors[p.Ink]
		m := 0.1 * cw
		pl.outer = rect{-q - m, -q - m - 0.18*cw, n + q + m, n + q + 0.42*cw}
		pl.radius = 0.03 * cw
		pl.band = rect{pl.outer.x0, pl.outer.y0, pl.outer.x1, pl.outer.y0 + 0.15*cw}
		for i := range 3 {
			y := n + q + 0.06*cw + float64(i)*0.11*cw
			pl.lines = append(pl.lines, textLine{rect{-q + 0.05*cw, y, n + q - 0.05*cw - float64(i%2)*0.3*cw, y + 0.07*cw}, uint32(i + 1)})
		}
	case CarrierPhone:
		pl.light = rgb{1, 1, 1}
		pl.ink = inkColors[p.Ink]
		if p.Ink == InkBlack {
			pl.ink = rgb{0.03, 0.03, 0.03}
		}
		pl.screen = rect{-q - 0.15*cw, -q - 0.62*cw, n + q + 0.15*cw, n + q + 0.9*cw}
		sw := pl.screen.x1 - pl.screen.x0
		pl.outer = rect{pl.screen.x0 - 0.04*sw, pl.screen.y0 - 0.09*sw, pl.screen.x1 + 0.04*sw, pl.screen.y1 + 0.09*sw}
		pl.radius = 0.12 * sw
		pl.band = rect{pl.screen.x0, pl.screen.y0 + 0.06*cw, pl.screen.x1, pl.screen.y0 + 0.36*cw}
		for i, y := range []float64{-q - 0.2*cw, n + q + 0.08*cw, n + q + 0.2*cw, n + q + 0.32*cw, n + q + 0.5*cw} {
			pl.lines = append(pl.lines, textLine{rect{-q + 0.1*cw, y, n + q - 0.1*cw - float64(i%3)*0.2*cw, y + 0.06*cw}, uint32(i + 11)})
		}
	case CarrierBare:
		pl.light = rgb{0.9, 0.9, 0.9}
		pl.ink = inkColors[p.Ink]
		pl.outer = pl.code
	}
	pl.textColor = rgb{0.25, 0.25, 0.25}
	if p.Inverted {
		dark := rgb{0.05, 0.05, 0.05}
		if p.Carrier == CarrierPhone {
			dark = rgb{0.02, 0.02, 0.02}
		}
		pl.light, pl.ink, pl.textColor = dark, rgb{0.88, 0.88, 0.88}, rgb{0.7, 0.7, 0.7}
	}
	return pl
}

// Materials: what a point of the plane is made of. Colours come from the
// plane's palette, so that the renderer compares and counts small numbers.
const (
	offCarrier = iota // the background shows
	matInk
	matLight
	matBody
	matBand
	matText
	materials
)

// shade returns the material at (u, v) in the plane.
func (pl *plane) shade(u, v float64) uint8 {
	if pl.code.has(u, v) { // the code area lies within every carrier
		if pl.modules != nil && u >= 0 && v >= 0 {
			x, y := int(u), int(v)
			if x < pl.n && y < pl.n && pl.modules[y*pl.n+x] {
				return matInk
			}
		}
		return matLight
	}
	return pl.shadeAround(u, v)
}

// shadeAround is shade outside the code area.
func (pl *plane) shadeAround(u, v float64) uint8 {
	if !pl.outer.hasRounded(u, v, pl.radius) {
		return offCarrier
	}
	if pl.carrier == CarrierPhone && !pl.screen.has(u, v) {
		return matBody
	}
	if pl.band.has(u, v) {
		return matBand
	}
	for i := range pl.lines {
		if pl.lines[i].r.has(u, v) && pl.lines[i].inked(u, v) {
			return matText
		}
	}
	return matLight
}

// inked reports whether (u, v), inside the line, falls on a stroke of one
// of its glyphs: pseudo-random 3×5 bitmaps with gaps and spaces between
// them, which read as text from afar.
func (l *textLine) inked(u, v float64) bool {
	h := l.r.y1 - l.r.y0
	gw := 0.75 * h // a glyph's advance
	fx := (u - l.r.x0) / gw
	g := int(fx)
	col := int((fx - float64(g)) * 4)
	row := int((v - l.r.y0) / h * 6)
	if col >= 3 || row >= 5 {
		return false
	}
	bits := hash32(uint32(g)*0x9e3779b9 ^ l.seed*0x85ebca6b)
	if bits%7 == 0 { // a space
		return false
	}
	return bits>>(3+row*3+col)&1 == 1
}

// hash32 mixes x (the finaliser of MurmurHash3).
func hash32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return x
}

// corners returns the carrier's outline corners in the plane.
func (pl *plane) corners() [4][2]float64 {
	o := pl.outer
	return [4][2]float64{{o.x0, o.y0}, {o.x1, o.y0}, {o.x1, o.y1}, {o.x0, o.y1}}
}

// composite draws the plane over c through h. Each pixel is the average of
// its area: pixels whose four corners see one material take its colour,
// the others (on an edge) average a grid of samples, so that a module of
// 2.3 pixels shares its edge pixels with its neighbours as on a camera's
// sensor. Bands of rows are drawn in parallel. It returns the rectangle it
// drew in.
func composite(c *canvas, pl *plane, h mat3, p *Params) image.Rectangle {
	x0, y0, x1, y1, ok := bounds(pl, &h, c.w, c.h)
	if !ok {
		return image.Rectangle{}
	}
	drawn := image.Rect(x0, y0, x1, y1)
	c.addDetail(drawn)
	d := &drawer{c: c, pl: pl, inv: h.inverse(), x0: x0, x1: x1}
	d.palette = [materials]rgb{{}, pl.ink, pl.light, pl.body, pl.bandColor, pl.textColor}
	// Samples per side of an edge pixel: enough for the shades of gray
	// that an edge across a pixel makes to step finely for its module size.
	d.ss = 2
	switch {
	case p.ModulePx < 2.8:
		d.ss = 4
	case p.ModulePx < 4.5:
		d.ss = 3
	}
	if p.Carrier == CarrierPhone && p.Moire > 0 {
		d.moire = newMoire(p.Moire, p.ScreenPx)
	}
	parallel(y0, y1, d.rows)
	return drawn
}

// parallel calls fn on bands of the rows [y0, y1), one a CPU, and waits.
func parallel(y0, y1 int, fn func(y0, y1 int)) {
	n := min(runtime.GOMAXPROCS(0), max((y1-y0)/32, 1))
	var wg sync.WaitGroup
	for k := range n {
		a, b := y0+(y1-y0)*k/n, y0+(y1-y0)*(k+1)/n
		wg.Go(func() { fn(a, b) })
	}
	wg.Wait()
}

// A drawer draws a plane over a canvas.
type drawer struct {
	c       *canvas
	pl      *plane
	inv     mat3 // image to plane
	x0, x1  int  // the columns to draw
	ss      int  // samples per side of an edge pixel
	palette [materials]rgb
	moire   *moireGrid
}

// rows draws rows [y0, y1).
func (d *drawer) rows(y0, y1 int) {
	// Corner lattice: prev and cur hold the materials at the corners
	// (x, y) and (x, y+1) of the pixels of row y.
	cols := d.x1 - d.x0 + 1
	prev, cur := make([]uint8, cols), make([]uint8, cols)
	d.lattice(prev, y0)
	for y := y0; y < y1; y++ {
		d.lattice(cur, y+1)
		for i := 0; i < cols-1; i++ {
			a, b, e, f := prev[i], prev[i+1], cur[i], cur[i+1]
			if a|b|e|f == offCarrier {
				continue
			}
			x := d.x0 + i
			var col rgb
			if a == b && a == e && a == f {
				col = d.palette[a]
			} else {
				col = d.supersample(x, y)
			}
			if d.moire != nil {
				col = d.moire.apply(d.pl, &d.inv, x, y, col)
			}
			d.c.set(x, y, col)
		}
		prev, cur = cur, prev
	}
}

// lattice fills row with the materials at the points (x, y) for
// x0 ≤ x ≤ x1.
func (d *drawer) lattice(row []uint8, y int) {
	inv := &d.inv
	// The homogeneous coordinates are linear along a row.
	fx, fy := float64(d.x0), float64(y)
	a := inv[0]*fx + inv[1]*fy + inv[2]
	b := inv[3]*fx + inv[4]*fy + inv[5]
	w := inv[6]*fx + inv[7]*fy + inv[8]
	for i := range row {
		row[i] = offCarrier
		if w > 1e-9 {
			r := 1 / w
			row[i] = d.pl.shade(a*r, b*r)
		}
		a, b, w = a+inv[0], b+inv[3], w+inv[6]
	}
}

// supersample returns the average colour over pixel (x, y) from ss×ss
// samples, those off the carrier taking the background's colour.
func (d *drawer) supersample(x, y int) rgb {
	var count [materials]int
	inv := &d.inv
	ss := d.ss
	step := 1 / float64(ss)
	for j := range ss {
		sx, sy := float64(x)+0.5*step, float64(y)+(float64(j)+0.5)*step
		a := inv[0]*sx + inv[1]*sy + inv[2]
		b := inv[3]*sx + inv[4]*sy + inv[5]
		w := inv[6]*sx + inv[7]*sy + inv[8]
		for range ss {
			m := uint8(offCarrier)
			if w > 1e-9 {
				r := 1 / w
				m = d.pl.shade(a*r, b*r)
			}
			count[m]++
			a, b, w = a+inv[0]*step, b+inv[3]*step, w+inv[6]*step
		}
	}
	var sum [3]float32
	for m, n := range count {
		if n == 0 {
			continue
		}
		col := d.palette[m]
		if m == offCarrier {
			col = d.c.at(x, y)
		}
		k := float32(n)
		sum[0] += k * col[0]
		sum[1] += k * col[1]
		sum[2] += k * col[2]
	}
	k := 1 / float32(ss*ss)
	return rgb{sum[0] * k, sum[1] * k, sum[2] * k}
}

// bounds returns the pixel rectangle [x0, x1)×[y0, y1) the carrier covers
// within a w×h frame, and false when it covers none.
func bounds(pl *plane, h *mat3, w, ht int) (x0, y0, x1, y1 int, ok bool) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, pt := range pl.corners() {
		x, y, front := h.apply(pt[0], pt[1])
		if !front {
			// Part of the carrier is behind the camera: draw the whole frame.
			return 0, 0, w, ht, true
		}
		minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
	}
	x0, y0 = max(int(math.Floor(minX))-1, 0), max(int(math.Floor(minY))-1, 0)
	x1, y1 = min(int(math.Ceil(maxX))+1, w), min(int(math.Ceil(maxY))+1, ht)
	return x0, y0, x1, y1, x0 < x1 && y0 < y1
}

// moireGrid is the interference between a phone screen's pixel grid and
// the camera's. A camera's pixel averages a few screen pixels; when the
// two grids' pitches are close, what it averages drifts slowly from pixel
// to pixel and shows as broad fringes, coloured where the screen's red,
// green and blue subpixels fall apart. It is modelled by sampling the
// screen's grid, a sinusoid per subpixel colour, at each camera pixel's
// centre.
type moireGrid struct {
	strength float64
	freq     float64 // screen pixels per module
}

func newMoire(strength, screenPx float64) *moireGrid {
	return &moireGrid{strength: strength, freq: screenPx}
}

// cosTable holds cos(2πt) for t in steps of 1/1024, for the moiré.
var cosTable = sync.OnceValue(func() []float32 {
	t := make([]float32, 1024)
	for i := range t {
		t[i] = float32(math.Cos(2 * math.Pi * float64(i) / 1024))
	}
	return t
})

// cos2pi returns cos(2πt) from the table.
func cos2pi(t float64) float32 {
	return cosTable()[int((t-math.Floor(t))*1024)&1023]
}

// apply returns col, a pixel of the screen, as the grid modulates it.
func (m *moireGrid) apply(pl *plane, inv *mat3, x, y int, col rgb) rgb {
	u, v, ok := inv.apply(float64(x)+0.5, float64(y)+0.5)
	if !ok || !pl.screen.has(u, v) {
		return col
	}
	// The dark gaps between screen rows, and the subpixel stripes along a
	// row: red, green and blue a third of a pixel apart.
	rows := 1 + 0.6*cos2pi(v*m.freq)
	s := float32(m.strength)
	pu := u * m.freq
	// On a gray canvas, set takes the luma of the modulated colour: the
	// three modulations mix as luma weighs them.
	for k := range 3 {
		f := rows * (1 + 0.8*cos2pi(pu-float64(k)/3))
		col[k] *= 1 + s*(f-1)
	}
	return col
}
