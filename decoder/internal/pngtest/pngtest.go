// Package pngtest writes 16-bit PNG files for the tests of decoder and
// decoder/imagefile, a row at a time: of any size without holding the
// image, interlaced or not, with every PNG filter in turn, so that a
// reader meets them all. Package image/png reads them as the reference.
package pngtest

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// PNG describes a 16-bit PNG.
type PNG struct {
	Width, Height int
	// Channels is the samples a pixel: 1 gray, 2 gray and alpha, 3 RGB,
	// 4 RGBA.
	Channels int
	// Interlaced writes the image in Adam7's seven passes.
	Interlaced bool
	// Transparent, for gray and RGB images, is the colour a tRNS chunk
	// makes transparent; nil for none.
	Transparent []uint16
	// Pixel sets the Channels samples of pixel (x, y).
	Pixel func(x, y int, samples []uint16)
	// Filter returns the filter type of row y of a pass. Nil: y%5, each
	// in turn (none, sub, up, average, Paeth).
	Filter func(y int) byte
}

// Write writes p as a PNG file.
func Write(w io.Writer, p PNG) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\x89PNG\r\n\x1a\n")
	colour := map[int]byte{1: 0, 2: 4, 3: 2, 4: 6}[p.Channels]
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(p.Width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(p.Height))
	ihdr[8], ihdr[9] = 16, colour
	if p.Interlaced {
		ihdr[12] = 1
	}
	chunk(bw, "IHDR", ihdr[:])
	if p.Transparent != nil {
		t := make([]byte, 2*len(p.Transparent))
		for i, v := range p.Transparent {
			binary.BigEndian.PutUint16(t[2*i:], v)
		}
		chunk(bw, "tRNS", t)
	}
	idat := &chunkWriter{w: bw}
	zw, err := zlib.NewWriterLevel(idat, zlib.BestSpeed)
	if err != nil {
		return err
	}
	passes := [][4]int{{0, 0, 1, 1}}
	if p.Interlaced {
		passes = [][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
	}
	bpp := 2 * p.Channels
	samples := make([]uint16, p.Channels)
	for _, ps := range passes {
		pw := (p.Width - ps[0] + ps[2] - 1) / ps[2]
		ph := (p.Height - ps[1] + ps[3] - 1) / ps[3]
		if pw <= 0 || ph <= 0 {
			continue
		}
		raw, prev, out := make([]byte, pw*bpp), make([]byte, pw*bpp), make([]byte, 1+pw*bpp)
		for y := range ph {
			for x := range pw {
				p.Pixel(ps[0]+x*ps[2], ps[1]+y*ps[3], samples)
				for i, s := range samples {
					binary.BigEndian.PutUint16(raw[x*bpp+2*i:], s)
				}
			}
			f := byte(y % 5)
			if p.Filter != nil {
				f = p.Filter(y)
			}
			filter(f, out, raw, prev, bpp)
			zw.Write(out)
			raw, prev = prev, raw
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	idat.flush()
	chunk(bw, "IEND", nil)
	return bw.Flush()
}

// filter writes into out the filter byte f and raw filtered with it,
// prev being the pass's previous row (zeros for its first).
func filter(f byte, out, raw, prev []byte, bpp int) {
	out[0] = f
	for i, v := range raw {
		var left, up, upLeft int
		if i >= bpp {
			left, upLeft = int(raw[i-bpp]), int(prev[i-bpp])
		}
		up = int(prev[i])
		var pred int
		switch f {
		case 1:
			pred = left
		case 2:
			pred = up
		case 3:
			pred = (left + up) / 2
		case 4:
			pred = paeth(left, up, upLeft)
		}
		out[1+i] = v - uint8(pred)
	}
}

func paeth(a, b, c int) int {
	p := a + b - c
	pa, pb, pc := max(p-a, a-p), max(p-b, b-p), max(p-c, c-p)
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

// chunk writes a chunk of kind with data.
func chunk(w *bufio.Writer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	w.WriteString(kind)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// chunkWriter cuts the zlib stream into IDAT chunks of 64 KiB.
type chunkWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for len(c.buf) >= 64<<10 {
		chunk(c.w, "IDAT", c.buf[:64<<10])
		c.buf = c.buf[64<<10:]
	}
	return len(p), nil
}

func (c *chunkWriter) flush() {
	if len(c.buf) > 0 {
		chunk(c.w, "IDAT", c.buf)
	}
}
