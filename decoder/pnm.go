package decoder

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// The Netpbm formats DecodePNM reads are registered with the image
// package: importing decoder makes image.Decode read PGM ("pgm": P5
// binary, P2 plain) and PPM ("ppm": P6 binary, P3 plain) files.
func init() {
	for _, f := range []struct{ name, magic string }{{"pgm", "P5"}, {"pgm", "P2"}, {"ppm", "P6"}, {"ppm", "P3"}} {
		image.RegisterFormat(f.name, f.magic, DecodePNM, DecodePNMConfig)
	}
}

// ErrPNM is returned, wrapped, for a PGM or PPM file DecodePNM does not
// accept.
var ErrPNM = errors.New("decoder: pnm: invalid file")

// DecodePNM reads one PGM or PPM image: P5 and P2 give an *image.Gray, P6
// and P3 an *image.RGBA. Samples of a maxval other than 255, 16-bit ones
// included, are scaled to 8 bits.
//
// It is strict and bounded: the header may hold comments, but the image
// must have at most MaxPixels pixels, every sample must be at most maxval,
// and nothing but whitespace may follow the raster (a file of several
// images is refused). Memory grows with the data read, not with the
// size a header claims.
func DecodePNM(r io.Reader) (image.Image, error) {
	br := bufio.NewReader(r)
	h, err := readPNMHeader(br)
	if err != nil {
		return nil, err
	}
	samples, err := h.samples(br)
	if err != nil {
		return nil, err
	}
	if err := pnmEnd(br); err != nil {
		return nil, err
	}
	rect := image.Rect(0, 0, h.width, h.height)
	if h.channels == 1 {
		return &image.Gray{Pix: samples, Stride: h.width, Rect: rect}, nil
	}
	img := image.NewRGBA(rect)
	for i, j := 0, 0; i < len(samples); i, j = i+3, j+4 {
		img.Pix[j], img.Pix[j+1], img.Pix[j+2], img.Pix[j+3] = samples[i], samples[i+1], samples[i+2], 0xff
	}
	return img, nil
}

// DecodePNMConfig reads the header of a PGM or PPM image.
func DecodePNMConfig(r io.Reader) (image.Config, error) {
	h, err := readPNMHeader(bufio.NewReader(r))
	if err != nil {
		return image.Config{}, err
	}
	cfg := image.Config{ColorModel: color.RGBAModel, Width: h.width, Height: h.height}
	if h.channels == 1 {
		cfg.ColorModel = color.GrayModel
	}
	return cfg, nil
}

// A pnmHeader is what the header of a PGM or PPM file says.
type pnmHeader struct {
	plain         bool // P2, P3: samples in decimal
	channels      int  // 1 gray, 3 RGB
	width, height int
	maxval        int
}

func readPNMHeader(br *bufio.Reader) (pnmHeader, error) {
	var magic [2]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || magic[0] != 'P' {
		return pnmHeader{}, fmt.Errorf("%w: no P2, P3, P5 or P6 magic number", ErrPNM)
	}
	h := pnmHeader{}
	switch magic[1] {
	case '2', '5':
		h.channels = 1
	case '3', '6':
		h.channels = 3
	default:
		return pnmHeader{}, fmt.Errorf("%w: unsupported format P%c", ErrPNM, magic[1])
	}
	h.plain = magic[1] == '2' || magic[1] == '3'
	var err error
	for _, f := range []struct {
		name string
		v    *int
		max  int
	}{{"width", &h.width, MaxPixels}, {"height", &h.height, MaxPixels}, {"maxval", &h.maxval, 65535}} {
		if *f.v, err = pnmNumber(br, true); err != nil {
			return pnmHeader{}, fmt.Errorf("%w: %s: %v", ErrPNM, f.name, err)
		}
		if *f.v < 1 || *f.v > f.max {
			return pnmHeader{}, fmt.Errorf("%w: %s %d, want 1 to %d", ErrPNM, f.name, *f.v, f.max)
		}
	}
	if h.width*h.height > MaxPixels {
		return pnmHeader{}, fmt.Errorf("%w: %dx%d is over %d pixels", ErrPNM, h.width, h.height, MaxPixels)
	}
	// A single whitespace character ends the header.
	if c, err := br.ReadByte(); err != nil || !pnmSpace(c) {
		return pnmHeader{}, fmt.Errorf("%w: no whitespace after maxval", ErrPNM)
	}
	return h, nil
}

// samples reads the raster: every sample scaled to 8 bits.
func (h pnmHeader) samples(br *bufio.Reader) ([]byte, error) {
	n := h.width * h.height * h.channels
	// Grown as samples arrive, so that a short file with a large header
	// costs no more than its data.
	out := make([]byte, 0, min(n, 1<<20))
	scale := func(v int) (byte, error) {
		if v > h.maxval {
			return 0, fmt.Errorf("%w: sample %d of %d is over maxval %d", ErrPNM, v, len(out)+1, h.maxval)
		}
		return byte((v*255 + h.maxval/2) / h.maxval), nil
	}
	width := 1
	if h.maxval > 255 {
		width = 2
	}
	var buf [4096]byte
	for len(out) < n {
		if h.plain {
			v, err := pnmNumber(br, false)
			if err != nil {
				return nil, fmt.Errorf("%w: sample %d of %d: %v", ErrPNM, len(out)+1, n, err)
			}
			b, err := scale(v)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
			continue
		}
		chunk := buf[:min(len(buf)/width, n-len(out))*width]
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, fmt.Errorf("%w: raster ends after %d of %d samples", ErrPNM, len(out), n)
		}
		for i := 0; i < len(chunk); i += width {
			v := int(chunk[i])
			if width == 2 {
				v = v<<8 | int(chunk[i+1])
			}
			b, err := scale(v)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// pnmMaxTrailing bounds the whitespace read after the raster.
const pnmMaxTrailing = 4096

// pnmEnd checks that only a little whitespace follows the raster.
func pnmEnd(br *bufio.Reader) error {
	for i := 0; ; i++ {
		c, err := br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrPNM, err)
		}
		if !pnmSpace(c) || i == pnmMaxTrailing {
			return fmt.Errorf("%w: data after the raster", ErrPNM)
		}
	}
}

// pnmNumber reads a decimal number after whitespace, and comments when in
// the header.
func pnmNumber(br *bufio.Reader, header bool) (int, error) {
	c, err := br.ReadByte()
	for err == nil && (pnmSpace(c) || header && c == '#') {
		if c == '#' {
			for err == nil && c != '\n' && c != '\r' {
				c, err = br.ReadByte()
			}
			continue
		}
		c, err = br.ReadByte()
	}
	if err != nil {
		return 0, errors.New("unexpected end of file")
	}
	v, digits := 0, 0
	for ; err == nil && c >= '0' && c <= '9'; c, err = br.ReadByte() {
		if digits++; digits > 9 {
			return 0, errors.New("number too long")
		}
		v = v*10 + int(c-'0')
	}
	if digits == 0 {
		return 0, fmt.Errorf("want a number, got %q", c)
	}
	if err == nil {
		if !pnmSpace(c) && !(header && c == '#') {
			return 0, fmt.Errorf("want whitespace after a number, got %q", c)
		}
		if err := br.UnreadByte(); err != nil {
			return 0, err
		}
	}
	return v, nil
}

func pnmSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
