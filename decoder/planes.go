package decoder

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
)

// lumaPlane returns img's luma without a per-pixel allocation: the Y plane
// of a camera's YCbCr frame and the pixels of a Gray image are used in
// place; other images are converted once into a reused buffer, composited
// over white so transparent pixels count as paper.
func (d *Decoder) lumaPlane(img image.Image) (plane, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if err := checkSize(w, h); err != nil {
		return plane{}, err
	}
	switch m := img.(type) {
	case *image.Gray:
		return inPlace(m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), w, h)
	case *image.YCbCr:
		return inPlace(m.Y, m.YStride, m.YOffset(b.Min.X, b.Min.Y), w, h)
	}
	d.luma = grow(d.luma, w*h)
	pl := plane{d.luma, w, w, h}
	convert(img, b.Min, pl, false)
	return pl, nil
}

// inPlace wraps a plane of pixels starting at offset.
func inPlace(pix []byte, stride, offset, w, h int) (plane, error) {
	if offset < 0 || offset+(h-1)*stride+w > len(pix) {
		return plane{}, fmt.Errorf("%w: pixel buffer too short", ErrImage)
	}
	return plane{pix[offset:], stride, w, h}, nil
}

// lumaOf is the BT.601 luma of 8-bit RGB, as gozxing computes it.
func lumaOf(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// darkestOf is min(R, G, B): coloured ink on white paper is dark in it
// whatever its hue.
func darkestOf(r, g, b uint8) uint8 { return min(r, g, b) }

// convert writes the luma, or if darkest min(R,G,B), of the pixels of img
// from at on, composited over white, into pl.
func convert(img image.Image, at image.Point, pl plane, darkest bool) {
	b := image.Rectangle{Min: at}
	f := lumaOf
	if darkest {
		f = darkestOf
	}
	switch m := img.(type) {
	case *image.RGBA:
		// The common case, a loop each without a call per pixel.
		// Premultiplied: over white adds the transparency.
		for y := 0; y < pl.h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := pl.row(y)
			src = src[:4*len(dst)]
			if darkest {
				for x := range dst {
					v := binary.LittleEndian.Uint32(src[4*x:])
					dst[x] = min(uint8(v), uint8(v>>8), uint8(v>>16)) + 0xff - uint8(v>>24)
				}
				continue
			}
			for x := range dst {
				v := binary.LittleEndian.Uint32(src[4*x:])
				t := 0xff - v>>24
				dst[x] = uint8((19595*(v&0xff+t) + 38470*(v>>8&0xff+t) + 7471*(v>>16&0xff+t) + 1<<15) >> 16)
			}
		}
	case *image.NRGBA:
		for y := 0; y < pl.h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := pl.row(y)
			for x := range dst {
				px := src[4*x : 4*x+4 : 4*x+4]
				if a := px[3]; a != 0xff {
					dst[x] = f(overWhite(px[0], a), overWhite(px[1], a), overWhite(px[2], a))
					continue
				}
				dst[x] = f(px[0], px[1], px[2])
			}
		}
	case *image.Paletted:
		var lut [256]uint8
		for i, c := range m.Palette {
			lut[i] = f(rgbOverWhite(c))
		}
		for y := 0; y < pl.h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := pl.row(y)
			for x := range dst {
				dst[x] = lut[src[x]]
			}
		}
	case *image.YCbCr:
		for y := 0; y < pl.h; y++ {
			dst := pl.row(y)
			for x := range dst {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				dst[x] = f(color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci]))
			}
		}
	default:
		for y := 0; y < pl.h; y++ {
			dst := pl.row(y)
			for x := range dst {
				dst[x] = f(rgbOverWhite(img.At(b.Min.X+x, b.Min.Y+y)))
			}
		}
	}
}

func overWhite(c, a uint8) uint8 {
	return uint8((uint32(c)*uint32(a) + 0xff*uint32(0xff-a) + 127) / 0xff)
}

// rgbOverWhite returns c's 8-bit RGB composited over white.
func rgbOverWhite(c color.Color) (r, g, b uint8) {
	r16, g16, b16, a16 := c.RGBA()
	t := 0xffff - a16
	return uint8((r16 + t) >> 8), uint8((g16 + t) >> 8), uint8((b16 + t) >> 8)
}

// darkestRect returns min(R,G,B) of the part r of img, r relative to
// img's bounds.
func darkestRect(img image.Image, r image.Rectangle) plane {
	pl := plane{make([]byte, r.Dx()*r.Dy()), r.Dx(), r.Dx(), r.Dy()}
	convert(img, img.Bounds().Min.Add(r.Min), pl, true)
	return pl
}

// darkestHalf returns img's min(R,G,B) at half its width and height, in
// a reused buffer: each pixel the mean of two of the four it stands for,
// on a diagonal, which is cheaper than all four and as good for finding
// finder patterns.
func (d *Decoder) darkestHalf(img image.Image) plane {
	b := img.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	d.half = grow(d.half, w*h)
	pl := plane{d.half, w, w, h}
	switch m := img.(type) {
	case *image.RGBA:
		for y := 0; y < h; y++ {
			r0 := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+2*y):]
			r1 := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+2*y+1):]
			dst := pl.row(y)
			r0, r1 = r0[:8*len(dst)], r1[:8*len(dst)]
			for x := range dst {
				s := uint32(premulDarkest(binary.LittleEndian.Uint32(r0[8*x:]))) +
					uint32(premulDarkest(binary.LittleEndian.Uint32(r1[8*x+4:])))
				dst[x] = uint8((s + 1) / 2)
			}
		}
	default:
		for y := 0; y < h; y++ {
			dst := pl.row(y)
			for x := range dst {
				s := uint32(darkestOf(rgbOverWhite(img.At(b.Min.X+2*x, b.Min.Y+2*y)))) +
					uint32(darkestOf(rgbOverWhite(img.At(b.Min.X+2*x+1, b.Min.Y+2*y+1))))
				dst[x] = uint8((s + 1) / 2)
			}
		}
	}
	return pl
}

// premulDarkest is min(R,G,B) over white of a premultiplied RGBA pixel
// read little-endian.
func premulDarkest(v uint32) uint8 {
	return min(uint8(v), uint8(v>>8), uint8(v>>16)) + 0xff - uint8(v>>24)
}

// minChroma is how far, in 8-bit levels, a sample of an image's pixels
// must stray from grey for channelPlane to count it as colourful.
const minChroma = 32

// colourful reports whether some of a sample of img's pixels (a 64×64
// grid) have colour: chroma far from neutral or channels far apart.
func colourful(img image.Image) bool {
	b := img.Bounds()
	stepX, stepY := max(1, b.Dx()/64), max(1, b.Dy()/64)
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y += stepY {
		for x := b.Min.X; x < b.Max.X; x += stepX {
			var spread int
			switch m := img.(type) {
			case *image.Gray, *image.Gray16:
				return false
			case *image.YCbCr:
				ci := m.COffset(x, y)
				spread = 2 * max(absInt(int(m.Cb[ci])-128), absInt(int(m.Cr[ci])-128))
			case *image.RGBA:
				px := m.Pix[m.PixOffset(x, y):]
				spread = int(max(px[0], px[1], px[2])) - int(min(px[0], px[1], px[2]))
			default:
				r, g, bl := rgbOverWhite(img.At(x, y))
				spread = int(max(r, g, bl)) - int(min(r, g, bl))
			}
			if spread >= minChroma {
				n++
				if n >= 8 {
					return true
				}
			}
		}
	}
	return false
}

// crop returns the part r of pl, sharing its pixels.
func (pl plane) crop(r image.Rectangle) plane {
	return plane{pl.pix[r.Min.Y*pl.stride+r.Min.X:], pl.stride, r.Dx(), r.Dy()}
}

// rect returns the plane's bounds.
func (pl plane) rect() image.Rectangle { return image.Rect(0, 0, pl.w, pl.h) }

// pad returns the part r of pl inside a border of pad pixels of fill, in a
// reused buffer.
func (d *Decoder) pad(pl plane, r image.Rectangle, pad int, fill byte) plane {
	src := pl.crop(r)
	w, h := src.w+2*pad, src.h+2*pad
	d.padded = grow(d.padded, w*h)
	out := plane{d.padded, w, w, h}
	for i := range out.pix {
		out.pix[i] = fill
	}
	for y := 0; y < src.h; y++ {
		copy(out.pix[(y+pad)*w+pad:], src.row(y))
	}
	return out
}

// upscale returns pl enlarged scale times with bilinear interpolation, in
// a reused buffer. Output pixel centres map to (x+0.5)/scale-0.5 in the
// source; weights are in 1/256. Each output row blends two source rows
// once, then spreads the blend across: with an integer scale the weights
// repeat every scale pixels.
func (d *Decoder) upscale(pl plane, scale int) plane {
	w, h := pl.w*scale, pl.h*scale
	d.scaled = grow(d.scaled, w*h)
	d.blend = grow(d.blend, pl.w)
	out := plane{d.scaled, w, w, h}
	tap := func(i, size int) (i0, i1, w1 int) {
		f := (2*i+1)*256/(2*scale) - 128
		if f < 0 {
			return 0, 0, 0
		}
		i0, w1 = f>>8, f&0xff
		return min(i0, size-1), min(i0+1, size-1), w1
	}
	for y := 0; y < h; y++ {
		y0, y1, wy := tap(y, pl.h)
		r0, r1 := pl.row(y0), pl.row(y1)
		blend := d.blend[:pl.w]
		for x := range blend {
			blend[x] = uint32(r0[x])*uint32(256-wy) + uint32(r1[x])*uint32(wy)
		}
		dst := out.row(y)
		for k := 0; k < scale; k++ {
			// Columns k, k+scale, … sit at the same fraction between
			// source columns i0+j and i0+j+1.
			f := (2*k+1)*256/(2*scale) - 128
			i0, wx := f>>8, uint32(f&0xff) // floor, also below zero
			last := pl.w - 1
			for x, i := k, i0; x < w; x, i = x+scale, i+1 {
				a := blend[clampInt(i, 0, last)]
				b := blend[clampInt(i+1, 0, last)]
				dst[x] = uint8((a*(256-wx) + b*wx + 1<<15) >> 16)
			}
		}
	}
	return out
}

// sharpen returns pl with its detail strengthened, an unsharp mask:
// each pixel pushed away from the mean of the (2r+1)² around it by amount
// times the difference. Blur washes a lone module towards its
// neighbours' level; this pulls it back.
func (d *Decoder) sharpen(pl plane, r int, amount float64) plane {
	w, h := pl.w, pl.h
	d.sharp = grow(d.sharp, w*h)
	out := plane{d.sharp, w, w, h}
	// Box sums through a summed-area table; its first row and column stay
	// zero.
	d.sat = grow(d.sat, (w+1)*(h+1))
	sat := d.sat
	clear(sat[:w+1])
	for y := 0; y < h; y++ {
		var rowSum int32
		row := pl.row(y)
		sat[(y+1)*(w+1)] = 0
		for x := 0; x < w; x++ {
			rowSum += int32(row[x])
			sat[(y+1)*(w+1)+x+1] = sat[y*(w+1)+x+1] + rowSum
		}
	}
	k := int32(amount * 256)
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-r), min(h, y+r+1)
		row, dst := pl.row(y), out.row(y)
		for x := 0; x < w; x++ {
			x0, x1 := max(0, x-r), min(w, x+r+1)
			sum := sat[y1*(w+1)+x1] - sat[y0*(w+1)+x1] - sat[y1*(w+1)+x0] + sat[y0*(w+1)+x0]
			mean := sum / int32((x1-x0)*(y1-y0))
			v := int32(row[x]) + (int32(row[x])-mean)*k/256
			dst[x] = uint8(clampInt(int(v), 0, 255))
		}
	}
	return out
}
