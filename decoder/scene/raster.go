package scene

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"math/bits"
	"math/rand/v2"
	"sync"
)

// canvas is a frame being rendered: one plane of luma, or three of red,
// green and blue, in display values from 0 to 1 until expose turns them
// into gray levels from 0 to 255.
type canvas struct {
	w, h, ch int
	planes   [][]float32

	// detail bounds what is drawn with edges over the smooth background:
	// blurring elsewhere would change nothing worth the time.
	detail image.Rectangle
}

func newCanvas(w, h, ch int) *canvas {
	c := &canvas{w: w, h: h, ch: ch, planes: make([][]float32, ch)}
	for i := range c.planes {
		c.planes[i] = getBuf(w * h)
	}
	return c
}

func (c *canvas) clone() *canvas {
	d := &canvas{w: c.w, h: c.h, ch: c.ch, planes: make([][]float32, c.ch), detail: c.detail}
	for i, p := range c.planes {
		d.planes[i] = getBuf(len(p))
		copy(d.planes[i], p)
	}
	return d
}

// release returns the canvas's planes to the pool; c is unusable after.
func (c *canvas) release() {
	for _, p := range c.planes {
		putBuf(p)
	}
	c.planes = nil
}

// addDetail grows the detail rectangle by r.
func (c *canvas) addDetail(r image.Rectangle) {
	c.detail = c.detail.Union(r.Intersect(image.Rect(0, 0, c.w, c.h)))
}

// bufs pools the frame-sized buffers a render needs: a 720p frame's
// planes are 3.7 MB each, and allocating them anew for every frame keeps
// the garbage collector busier than the rendering. Buffers are pooled by
// size class, a power of two, so that a small buffer asked for does not
// take a frame's, nor a frame's find only small ones and allocate.
var bufs [64]sync.Pool

// getBuf returns a buffer of n values, of unspecified content.
func getBuf(n int) []float32 {
	class := bits.Len(uint(max(n, 1) - 1))
	if b, ok := bufs[class].Get().(*[]float32); ok {
		return (*b)[:n]
	}
	return make([]float32, n, 1<<class)
}

// putBuf returns a buffer from getBuf to the pool.
func putBuf(b []float32) {
	if c := cap(b); c > 0 && c&(c-1) == 0 { // else not from getBuf
		bufs[bits.Len(uint(c-1))].Put(&b)
	}
}

// at returns the colour of pixel (x, y); a gray canvas gives its luma in
// every channel.
func (c *canvas) at(x, y int) rgb {
	i := y*c.w + x
	if c.ch == 1 {
		g := c.planes[0][i]
		return rgb{g, g, g}
	}
	return rgb{c.planes[0][i], c.planes[1][i], c.planes[2][i]}
}

// set paints pixel (x, y); a gray canvas keeps the colour's luma.
func (c *canvas) set(x, y int, col rgb) {
	i := y*c.w + x
	if c.ch == 1 {
		c.planes[0][i] = luma(col)
		return
	}
	c.planes[0][i], c.planes[1][i], c.planes[2][i] = col[0], col[1], col[2]
}

// paintBackground fills c with what is behind the code: a smooth uneven
// gradient, as a desk, a wall or a coat is out of focus, and clutter
// random shapes over it.
func paintBackground(c *canvas, seed uint64, clutter int) {
	rng := rand.New(rand.NewPCG(seed, streamBackground))
	base := 0.3 + 0.3*rng.Float64()
	slope := 0.3 * (rng.Float64() - 0.5)
	sa, ca := math.Sincos(2 * math.Pi * rng.Float64())
	// Separable: a value per column plus a value per row.
	waves := func(n int, slope float64) []float32 {
		out := make([]float32, n)
		f1, f2 := 0.5+rng.Float64(), 1.5+1.5*rng.Float64()
		a1, a2 := 0.05*rng.Float64(), 0.02*rng.Float64()
		p1, p2 := 2*math.Pi*rng.Float64(), 2*math.Pi*rng.Float64()
		for i := range out {
			t := float64(i)/float64(n) - 0.5
			out[i] = float32(slope*t + a1*math.Sin(2*math.Pi*f1*t+p1) + a2*math.Sin(2*math.Pi*f2*t+p2))
		}
		return out
	}
	gx, gy := waves(c.w, slope*ca), waves(c.h, slope*sa)
	// A tint, drawn for gray frames too so that a gray and a colour frame
	// of one seed show the same scene.
	tint := rgb{float32(0.9 + 0.2*rng.Float64()), float32(0.9 + 0.2*rng.Float64()), float32(0.9 + 0.2*rng.Float64())}
	if c.ch == 1 {
		tint = rgb{luma(tint)}
	}
	for k, pl := range c.planes {
		b := float32(base) * tint[k]
		parallel(0, c.h, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				row := pl[y*c.w : (y+1)*c.w]
				gx := gx[:len(row)]
				for x := range row {
					row[x] = b + gx[x] + gy[y]
				}
			}
		})
	}
	for range clutter {
		drawClutter(c, rng)
	}
}

// drawClutter draws one random thing on the background: a patch, a
// disc, a stroke, a block of text, a 1D barcode, or a decoy square that
// looks like a QR finder pattern to a detector.
func drawClutter(c *canvas, rng *rand.Rand) {
	color := func() rgb {
		if rng.IntN(3) == 0 {
			g := float32(rng.Float64())
			return rgb{g, g, g}
		}
		return rgb{float32(rng.Float64()), float32(rng.Float64()), float32(rng.Float64())}
	}
	cx, cy := rng.Float64()*float64(c.w), rng.Float64()*float64(c.h)
	angle := rng.Float64() * math.Pi
	scale := float64(min(c.w, c.h)) / 720
	switch rng.IntN(7) {
	case 0, 1: // a patch
		hw, hh := (5+120*rng.Float64())*scale, (5+120*rng.Float64())*scale
		fillShape(c, cx, cy, hw, hh, angle, color(), nil)
	case 2: // a disc or an ellipse
		hw, hh := (5+90*rng.Float64())*scale, (5+90*rng.Float64())*scale
		fillShape(c, cx, cy, hw, hh, angle, color(), func(x, y float64) bool {
			return x*x/(hw*hw)+y*y/(hh*hh) <= 1
		})
	case 3: // a stroke
		fillShape(c, cx, cy, (10+200*rng.Float64())*scale, 0.5+3*rng.Float64()*scale, angle, color(), nil)
	case 4: // a block of text
		gh := (5 + 18*rng.Float64()) * scale // glyph height
		lines := 1 + rng.IntN(6)
		hw, hh := (30+200*rng.Float64())*scale, float64(lines)*gh*0.8
		l := textLine{rect{-hw, 0, hw, gh}, rng.Uint32()}
		dark := rgb{0.1, 0.1, 0.1}
		if rng.IntN(4) == 0 {
			dark = rgb{0.9, 0.9, 0.9}
		}
		fillShape(c, cx, cy, hw, hh, angle*0.1, dark, func(x, y float64) bool {
			ln := math.Floor((y + hh) / (1.6 * gh))
			ly := y + hh - ln*1.6*gh
			l.seed = uint32(ln) + 77
			return ly < gh && l.inked(x, ly)
		})
	case 5: // a 1D barcode on a light label
		hw, hh := (25+70*rng.Float64())*scale, (12+40*rng.Float64())*scale
		bar := 0.8 + 1.5*rng.Float64()*scale
		seed := rng.Uint32()
		fillShape(c, cx, cy, hw*1.15, hh*1.2, angle*0.2, rgb{0.88, 0.88, 0.88}, nil)
		fillShape(c, cx, cy, hw, hh, angle*0.2, rgb{0.07, 0.07, 0.07}, func(x, y float64) bool {
			return hash32(uint32(int((x+hw)/bar))^seed)%3 == 0
		})
	case 6: // a decoy finder pattern: dark, light, dark rings 1:1:3:1:1
		s := (7 + 30*rng.Float64()) * scale // half side
		fillShape(c, cx, cy, s*9/7, s*9/7, angle, rgb{0.9, 0.9, 0.9}, nil)
		fillShape(c, cx, cy, s, s, angle, rgb{0.06, 0.06, 0.06}, func(x, y float64) bool {
			r := max(math.Abs(x), math.Abs(y)) / s * 3.5 // 0..3.5 modules
			return r < 1.5 || r >= 2.5
		})
	}
}

// fillShape paints the pixels whose centres fall in the rectangle of half
// sides hw and hh centred on (cx, cy) and turned by angle radians, and for
// which inside, given the point in the rectangle's own coordinates, is
// true (nil: the whole rectangle).
func fillShape(c *canvas, cx, cy, hw, hh, angle float64, col rgb, inside func(x, y float64) bool) {
	sa, ca := math.Sincos(angle)
	ex := hw*math.Abs(ca) + hh*math.Abs(sa) // the turned rectangle's extent
	ey := hw*math.Abs(sa) + hh*math.Abs(ca)
	x0, x1 := max(int(cx-ex), 0), min(int(cx+ex)+1, c.w)
	y0, y1 := max(int(cy-ey), 0), min(int(cy+ey)+1, c.h)
	c.addDetail(image.Rect(x0, y0, x1, y1))
	for y := y0; y < y1; y++ {
		dy := float64(y) + 0.5 - cy
		for x := x0; x < x1; x++ {
			dx := float64(x) + 0.5 - cx
			lx, ly := dx*ca+dy*sa, -dx*sa+dy*ca
			if math.Abs(lx) > hw || math.Abs(ly) > hh || inside != nil && !inside(lx, ly) {
				continue
			}
			c.set(x, y, col)
		}
	}
}

// gaussian blurs every plane with a Gaussian of standard deviation sigma
// pixels, separably, clamping at the frame's edges, where the canvas has
// detail. A wide Gaussian is approximated by three box blurs, whose cost
// does not grow with sigma.
func (c *canvas) gaussian(sigma float64) {
	// Beyond 2.5 sigma a discrete Gaussian's weights are too small to
	// change a gray level.
	if r := max(int(2.5*sigma+0.5), 1); r <= 4 {
		k := make([]float32, 2*r+1)
		var sum float32
		for i := range k {
			d := float64(i - r)
			k[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
			sum += k[i]
		}
		for i := range k {
			k[i] /= sum
		}
		c.convolve(k)
		return
	}
	for _, w := range boxWidths(sigma, 3) {
		c.boxBlur(w / 2)
	}
}

// blurReach is how far gaussian(sigma) spreads a pixel, in pixels.
func blurReach(sigma float64) int {
	if sigma <= 0 {
		return 0
	}
	if r := max(int(2.5*sigma+0.5), 1); r <= 4 {
		return r
	}
	reach := 0
	for _, w := range boxWidths(sigma, 3) {
		reach += w / 2
	}
	return reach
}

// boxWidths returns the odd widths of n box blurs that together blur as a
// Gaussian of standard deviation sigma does (Kovesi's method).
func boxWidths(sigma float64, n int) []int {
	ideal := math.Sqrt(12*sigma*sigma/float64(n) + 1)
	wl := int(math.Floor(ideal))
	if wl%2 == 0 {
		wl--
	}
	wu := wl + 2
	m := int(math.Round((12*sigma*sigma - float64(n*wl*wl) - float64(4*n*wl) - float64(3*n)) / float64(-4*wl-4)))
	widths := make([]int, n)
	for i := range widths {
		widths[i] = wu
		if i < m {
			widths[i] = wl
		}
	}
	return widths
}

// passes returns the rectangle a blur reaching r pixels changes, and the
// larger one it reads, within the frame; out is empty when there is no
// detail to blur.
func (c *canvas) passes(r int) (out, in image.Rectangle) {
	frame := image.Rect(0, 0, c.w, c.h)
	out = c.detail.Inset(-r).Intersect(frame)
	c.detail = out // the blur spreads the detail
	return out, out.Inset(-r).Intersect(frame)
}

// convolve filters every plane with the odd kernel k horizontally, then
// vertically. Both passes run along rows, bands of them in parallel: the
// vertical one adds whole rows, which keeps it in the cache.
func (c *canvas) convolve(k []float32) {
	r := len(k) / 2
	out, in := c.passes(r)
	if out.Empty() {
		return
	}
	w := out.Dx()
	tmp := getBuf(w * in.Dy()) // rows in.Min.Y to in.Max.Y
	defer putBuf(tmp)
	for _, pl := range c.planes {
		parallel(in.Min.Y, in.Max.Y, func(y0, y1 int) {
			line := make([]float32, w+2*r)
			for y := y0; y < y1; y++ {
				row := pl[y*c.w : (y+1)*c.w]
				for i := range line {
					line[i] = row[min(max(out.Min.X+i-r, 0), c.w-1)]
				}
				dst := tmp[(y-in.Min.Y)*w : (y-in.Min.Y+1)*w]
				for j, kw := range k {
					src := line[j : j+len(dst)]
					weigh(dst, src, kw, j == 0)
				}
			}
		})
		parallel(out.Min.Y, out.Max.Y, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				dst := pl[y*c.w+out.Min.X : y*c.w+out.Max.X]
				for j, kw := range k {
					yy := min(max(y+j-r, in.Min.Y), in.Max.Y-1) - in.Min.Y
					src := tmp[yy*w : yy*w+len(dst)]
					weigh(dst, src, kw, j == 0)
				}
			}
		})
	}
}

// boxBlur averages every plane over a (2r+1)² box, with running sums:
// along rows, then down bands of columns, in parallel.
func (c *canvas) boxBlur(r int) {
	out, in := c.passes(r)
	if out.Empty() {
		return
	}
	w := out.Dx()
	norm := 1 / float32(2*r+1)
	tmp := getBuf(w * in.Dy()) // rows in.Min.Y to in.Max.Y
	defer putBuf(tmp)
	for _, pl := range c.planes {
		parallel(in.Min.Y, in.Max.Y, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				row := pl[y*c.w : (y+1)*c.w]
				at := func(x int) float32 { return row[min(max(x, 0), c.w-1)] }
				var s float32
				for x := out.Min.X - r; x <= out.Min.X+r; x++ {
					s += at(x)
				}
				dst := tmp[(y-in.Min.Y)*w : (y-in.Min.Y+1)*w]
				for i := range dst {
					dst[i] = s * norm
					x := out.Min.X + i
					s += at(x+r+1) - at(x-r)
				}
			}
		})
		rowOf := func(y, x0, x1 int) []float32 {
			y = min(max(y, in.Min.Y), in.Max.Y-1) - in.Min.Y
			return tmp[y*w+x0 : y*w+x1]
		}
		parallel(0, w, func(x0, x1 int) {
			acc := make([]float32, x1-x0)
			for y := out.Min.Y - r; y <= out.Min.Y+r; y++ {
				for x, v := range rowOf(y, x0, x1) {
					acc[x] += v
				}
			}
			for y := out.Min.Y; y < out.Max.Y; y++ {
				dst := pl[y*c.w+out.Min.X+x0 : y*c.w+out.Min.X+x1]
				add, sub := rowOf(y+r+1, x0, x1), rowOf(y-r, x0, x1)
				for x := range dst {
					dst[x] = acc[x] * norm
					acc[x] += add[x] - sub[x]
				}
			}
		})
	}
}

// motion averages each plane over a segment of length px pixels at angle
// degrees, with bilinear sampling, as the motion of what is in region
// smears it. At most maxMotionSteps copies are averaged: a longer smear
// shows faint steps, in a frame no decoder can read anyway.
func (c *canvas) motion(px, angle float64, region image.Rectangle) {
	reach := int(math.Ceil(px/2)) + 1
	out := region.Inset(-reach).Intersect(image.Rect(0, 0, c.w, c.h))
	if out.Empty() {
		return
	}
	steps := min(int(math.Ceil(px))+1, maxMotionSteps)
	sa, ca := math.Sincos(angle * math.Pi / 180)
	// What the shifts read: out and reach more, the same at the frame's
	// edges as clamping to them.
	read := out.Inset(-reach).Intersect(image.Rect(0, 0, c.w, c.h))
	src := getBuf(read.Dx() * read.Dy())
	defer putBuf(src)
	acc := getBuf(out.Dx() * out.Dy())
	defer putBuf(acc)
	for _, pl := range c.planes {
		for y := read.Min.Y; y < read.Max.Y; y++ {
			copy(src[(y-read.Min.Y)*read.Dx():], pl[y*c.w+read.Min.X:y*c.w+read.Max.X])
		}
		clear(acc)
		parallel(out.Min.Y, out.Max.Y, func(y0, y1 int) {
			band := image.Rect(out.Min.X, y0, out.Max.X, y1)
			dst := acc[(y0-out.Min.Y)*out.Dx() : (y1-out.Min.Y)*out.Dx()]
			for s := range steps {
				t := (float64(s)/float64(steps-1) - 0.5) * px
				shiftAdd(dst, src, read, band, t*ca, t*sa)
			}
		})
		inv := 1 / float32(steps)
		for y := out.Min.Y; y < out.Max.Y; y++ {
			row := acc[(y-out.Min.Y)*out.Dx() : (y-out.Min.Y+1)*out.Dx()]
			dst := pl[y*c.w+out.Min.X : y*c.w+out.Max.X]
			for x, v := range row {
				dst[x] = v * inv
			}
		}
	}
}

// maxMotionSteps bounds the cost of a motion blur.
const maxMotionSteps = 24

// shiftAdd adds to dst, which holds the rectangle r of a frame, src,
// which holds its rectangle s, shifted by (dx, dy), bilinearly
// interpolated and clamped at s's edges.
func shiftAdd(dst, src []float32, s, r image.Rectangle, dx, dy float64) {
	ix, iy := int(math.Floor(dx)), int(math.Floor(dy))
	fx, fy := float32(dx-float64(ix)), float32(dy-float64(iy))
	w := s.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		y0 := min(max(y+iy, s.Min.Y), s.Max.Y-1) - s.Min.Y
		y1 := min(max(y+iy+1, s.Min.Y), s.Max.Y-1) - s.Min.Y
		r0, r1 := src[y0*w:(y0+1)*w], src[y1*w:(y1+1)*w]
		d := dst[(y-r.Min.Y)*r.Dx() : (y-r.Min.Y+1)*r.Dx()]
		for i := range d {
			x := r.Min.X + i
			x0 := min(max(x+ix, s.Min.X), s.Max.X-1) - s.Min.X
			x1 := min(max(x+ix+1, s.Min.X), s.Max.X-1) - s.Min.X
			top := r0[x0] + fx*(r0[x1]-r0[x0])
			bot := r1[x0] + fx*(r1[x1]-r1[x0])
			d[i] += top + fy*(bot-top)
		}
	}
}

// glare adds the reflection p.Glare describes. It is light on top of the
// scene, added before the exposure so that its centre saturates.
func glare(c *canvas, h mat3, pl *plane, p *Params) {
	g := p.Glare
	half := float64(pl.n) / 2
	cx, cy, ok := h.apply(half+g.X, half+g.Y)
	if !ok {
		return
	}
	rx := g.Radius * p.ModulePx
	ry := rx * g.Aspect
	sa, ca := math.Sincos(g.Angle * math.Pi / 180)
	reach := 2 * rx
	x0, x1 := max(int(cx-reach), 0), min(int(cx+reach)+1, c.w)
	y0, y1 := max(int(cy-reach), 0), min(int(cy+reach)+1, c.h)
	// A strength of 1 adds full white (255 gray levels) after exposure.
	peak := float32(255 * g.Strength / p.Contrast)
	for y := y0; y < y1; y++ {
		dy := float64(y) + 0.5 - cy
		for x := x0; x < x1; x++ {
			dx := float64(x) + 0.5 - cx
			u, v := (dx*ca+dy*sa)/rx, (-dx*sa+dy*ca)/ry
			r2 := u*u + v*v
			if r2 > 4 {
				continue
			}
			// Flat-topped: a saturated core, then a quick fall-off.
			add := peak * float32(math.Exp(-1.5*r2*r2))
			for _, plane := range c.planes {
				plane[y*c.w+x] += add
			}
		}
	}
}

// normals is a table of standard normal values that noise reads from, a
// row of pixels at a random offset: far cheaper than drawing a normal
// value for each pixel, and as good to the eye and to a binarizer.
var normals = sync.OnceValue(func() []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	t := make([]float32, 1<<16)
	for i := range t {
		t[i] = float32(rng.NormFloat64())
	}
	return t
})

// image exposes the canvas, adds the sensor's noise and quantizes it to
// an *image.Gray or an *image.RGBA, in one pass over bands of rows in
// parallel. The exposure maps a display value v to the gray level
// Brightness + Contrast×(v − ½), times the light left by the shading. A
// gray canvas is exposed into into when it is an image (or a sub-image)
// of its size.
func (c *canvas) image(p *Params, into *image.Gray) image.Image {
	b, k := float32(p.Brightness), float32(p.Contrast)
	c0 := b - k/2 // the exposure is c0 + k·v
	// Shading: the light falls linearly along a random direction, from 1
	// on one side of the frame to 1 − Shading on the other.
	var s0, sx, sy float32
	shading := float32(p.Shading)
	if shading > 0 {
		rng := rand.New(rand.NewPCG(p.Seed, streamShading))
		sa, ca := math.Sincos(2 * math.Pi * rng.Float64())
		diag := math.Hypot(float64(c.w), float64(c.h))
		// t = 0.5 + ((x − w/2)·cos + (y − h/2)·sin) / diag
		sx, sy = float32(ca/diag), float32(sa/diag)
		s0 = 0.5 - sx*float32(c.w)/2 - sy*float32(c.h)/2
	}
	table, sigma := normals(), float32(p.Noise)
	zeros := make([]float32, c.w)

	var pix []uint8
	var img image.Image
	stride, step := c.w, 1
	if c.ch == 1 {
		g := into
		if g == nil || g.Rect.Size() != image.Pt(c.w, c.h) {
			g = image.NewGray(image.Rect(0, 0, c.w, c.h))
		}
		pix, img, stride = g.Pix, g, g.Stride
	} else {
		rgba := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
		pix, img, stride, step = rgba.Pix, rgba, 4*c.w, 4
		for i := 3; i < len(pix); i += 4 {
			pix[i] = 0xff
		}
	}
	parallel(0, c.h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			for ch, pl := range c.planes {
				row := pl[y*c.w : (y+1)*c.w]
				noise := zeros
				if sigma > 0 {
					noise = noiseRow(table, p, y, ch, c.w)
				}
				dst := pix[y*stride+ch:]
				if shading == 0 {
					for x, v := range row {
						dst[x*step] = quantize(c0 + k*v + sigma*noise[x])
					}
					continue
				}
				t, dt := s0+sy*float32(y), sx
				for x, v := range row {
					light := 1 - shading*min(max(t, 0), 1)
					dst[x*step] = quantize((c0+k*v)*light + sigma*noise[x])
					t += dt
				}
			}
		}
	})
	return img
}

// noiseRow returns the sensor noise of row y, channel ch, of p's frame, w
// values: a random stretch of the table of normals, so that rows and
// frames differ.
func noiseRow(table []float32, p *Params, y, ch, w int) []float32 {
	off := int(mix64(p.Seed^uint64(p.Frame)<<32^uint64(y)<<2^uint64(ch)) % uint64(len(table)-w))
	return table[off : off+w]
}

// quantize rounds a gray level to a byte, clamping it to 0..255.
func quantize(g float32) uint8 {
	switch {
	case g <= 0:
		return 0
	case g >= 254.5:
		return 255
	}
	return uint8(g + 0.5)
}

// mix64 mixes x (SplitMix64's finaliser).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// jpegRoundTrip encodes img as a JPEG of the given quality and decodes it
// again, keeping its type: *image.Gray, or *image.RGBA.
func jpegRoundTrip(img image.Image, quality int) (image.Image, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("jpeg: %w", err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("jpeg: %w", err)
	}
	if _, gray := img.(*image.Gray); gray {
		if g, ok := out.(*image.Gray); ok {
			return g, nil
		}
	}
	rgba := image.NewRGBA(out.Bounds())
	draw.Draw(rgba, rgba.Bounds(), out, out.Bounds().Min, draw.Src)
	return rgba, nil
}

// weigh adds kw times src to dst, or sets dst to it when first: one tap of
// a separable convolution, shared by the horizontal and vertical passes.
func weigh(dst, src []float32, kw float32, first bool) {
	if first {
		for x, v := range src {
			dst[x] = kw * v
		}
		return
	}
	for x, v := range src {
		dst[x] += kw * v
	}
}
