package scene

import (
	"image"
	"math"
)

// A still is a fixed camera's background in gray levels, painted, blurred
// and exposed once, for the frames of a gray sequence: a frame exposes it
// again with fresh sensor noise, and renders as a canvas only the region
// around the carrier, whose blur and motion reach no further. A frame
// then costs one pass over its pixels and the work of its code, and
// memory for the still's levels and the region, not for canvases of the
// whole frame.
type still struct {
	w, h int
	pix  []uint8 // the exposed background, without noise
	c0   float32 // the exposure: gray level c0 + k·v for display value v
	k    float32
}

// newStill paints the background of a sequence of size, blurs it by blur
// pixels and exposes it as frames with p's brightness and contrast are.
func newStill(seed uint64, size image.Point, clutter int, blur float64, p Params) *still {
	c := newCanvas(size.X, size.Y, 1)
	defer c.release()
	paintBackground(c, seed, clutter)
	c.gaussian(blur)
	k := float32(p.Contrast)
	s := &still{w: size.X, h: size.Y, pix: make([]uint8, size.X*size.Y), c0: float32(p.Brightness) - k/2, k: k}
	for i, v := range c.planes[0] {
		s.pix[i] = quantize(s.c0 + s.k*v)
	}
	return s
}

// render is render for a frame of the still's sequence, into g, a gray
// image of its size. p must be a resolved sequence frame's: no shading,
// glare or JPEG, the still's exposure.
func (s *still) render(pl *plane, h mat3, p *Params, g *image.Gray) *frame {
	x0, y0, x1, y1, ok := bounds(pl, &h, s.w, s.h)
	if p.Carrier == CarrierNone || !ok {
		s.expose(g, p, image.Rectangle{})
		return located(g, pl, h)
	}
	// Everything the blur and the motion change or read.
	reach := 2*blurReach(p.Blur) + 2*(int(math.Ceil(p.MotionPx/2))+1) + 2
	r := image.Rect(x0, y0, x1, y1).Inset(-reach).Intersect(image.Rect(0, 0, s.w, s.h))
	s.expose(g, p, r)
	c := newCanvas(r.Dx(), r.Dy(), 1)
	defer c.release()
	inv := 1 / s.k
	for y := range r.Dy() {
		row := s.pix[(r.Min.Y+y)*s.w+r.Min.X : (r.Min.Y+y)*s.w+r.Max.X]
		dst := c.planes[0][y*r.Dx() : (y+1)*r.Dx()]
		for x, v := range row {
			dst[x] = (float32(v) - s.c0) * inv
		}
	}
	// The plane seen from the region's corner.
	shift := mat3{1, 0, -float64(r.Min.X), 0, 1, -float64(r.Min.Y), 0, 0, 1}
	hr := shift.mul(&h)
	drawn := composite(c, pl, hr, p)
	if p.Blur > 0 {
		c.gaussian(p.Blur)
	}
	if p.MotionPx > 0 {
		c.motion(p.MotionPx, p.MotionAngle, drawn)
	}
	c.image(p, g.SubImage(r).(*image.Gray))
	return located(g, pl, h)
}

// expose writes the still into g with the sensor's noise of p's frame,
// except in the rectangle skip, which the caller draws.
func (s *still) expose(g *image.Gray, p *Params, skip image.Rectangle) {
	table, sigma := normals(), float32(p.Noise)
	parallel(0, s.h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			noise := noiseRow(table, p, y, 0, s.w)
			src, dst := s.pix[y*s.w:(y+1)*s.w], g.Pix[y*g.Stride:y*g.Stride+s.w]
			spans := [][2]int{{0, s.w}}
			if y >= skip.Min.Y && y < skip.Max.Y {
				spans = [][2]int{{0, skip.Min.X}, {skip.Max.X, s.w}}
			}
			for _, sp := range spans {
				for x := sp[0]; x < sp[1]; x++ {
					dst[x] = quantize(float32(src[x]) + sigma*noise[x])
				}
			}
		}
	})
}
