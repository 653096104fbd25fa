package imagefile

import (
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"image"
	"io"
)

// pngSignature starts every PNG file; the IHDR chunk follows it.
const pngSignature = "\x89PNG\r\n\x1a\n"

// pngHeaderLen is the length of the signature and the IHDR chunk, CRC
// left out.
const pngHeaderLen = 8 + 8 + 13

// isPNG16 reports whether head, the start of a PNG file, says it has 16
// bits a sample.
func isPNG16(head []byte) bool {
	return len(head) >= pngHeaderLen && string(head[:8]) == pngSignature &&
		string(head[12:16]) == "IHDR" && head[24] == 16
}

// The PNG colour types of 16-bit images: gray, RGB, gray and alpha, RGBA.
const (
	pngGray      = 0
	pngRGB       = 2
	pngGrayAlpha = 4
	pngRGBA      = 6
)

// png16 reads a 16-bit PNG: its chunks with their CRCs checked, then the
// rows of its zlib stream one at a time, unfiltered and converted to luma.
type png16 struct {
	r         io.Reader
	crc       hash.Hash32
	buf       [8]byte
	w, h      int
	colour    byte
	interlace byte
	channels  int
	trns      []uint16 // the one colour that is transparent, if any
	idat      uint32   // bytes left of the IDAT chunk being read
}

// readPNG16 reads the 16-bit PNG r holds, from its signature on, into the
// luma of its pixels over white.
func readPNG16(r io.Reader) (*image.Gray, error) {
	d := &png16{r: r, crc: crc32.NewIEEE()}
	sig := make([]byte, len(pngSignature))
	if _, err := io.ReadFull(r, sig); err != nil || string(sig) != pngSignature {
		return nil, pngError("not a PNG file")
	}
	for seen := 0; ; seen++ {
		n, kind, err := d.chunkHeader()
		if err != nil {
			return nil, err
		}
		switch {
		case seen == 0 && kind != "IHDR", seen > 0 && kind == "IHDR":
			return nil, pngError("IHDR not first")
		case kind == "IHDR":
			err = d.header(n)
		case kind == "tRNS":
			err = d.transparency(n)
		case kind == "IDAT":
			d.idat = n
			return d.image()
		case kind == "IEND":
			return nil, pngError("no image data")
		default:
			_, err = io.CopyN(d.crc, d.r, int64(n))
			if err == nil {
				err = d.checkCRC()
			}
		}
		if err != nil {
			return nil, unexpected(err)
		}
	}
}

func pngError(msg string) error { return fmt.Errorf("png: invalid format: %s", msg) }

// unexpected turns the EOF of a truncated file into ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// chunkHeader reads the length and type of the next chunk and starts its
// CRC.
func (d *png16) chunkHeader() (uint32, string, error) {
	if _, err := io.ReadFull(d.r, d.buf[:8]); err != nil {
		return 0, "", unexpected(err)
	}
	n := binary.BigEndian.Uint32(d.buf[:4])
	if n > 1<<31-1 {
		return 0, "", pngError("chunk length overflow")
	}
	d.crc.Reset()
	d.crc.Write(d.buf[4:8])
	return n, string(d.buf[4:8]), nil
}

// checkCRC reads a chunk's CRC and checks it against its data read.
func (d *png16) checkCRC() error {
	if _, err := io.ReadFull(d.r, d.buf[:4]); err != nil {
		return unexpected(err)
	}
	if binary.BigEndian.Uint32(d.buf[:4]) != d.crc.Sum32() {
		return errors.New("png: invalid format: invalid checksum")
	}
	return nil
}

// data reads a chunk's n bytes of data and its CRC.
func (d *png16) data(n uint32) ([]byte, error) {
	if n > 64 {
		return nil, pngError("bad chunk length")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		return nil, err
	}
	d.crc.Write(b)
	return b, d.checkCRC()
}

func (d *png16) header(n uint32) error {
	b, err := d.data(n)
	if err != nil {
		return err
	}
	if len(b) != 13 {
		return pngError("bad IHDR length")
	}
	w, h := binary.BigEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8])
	d.w, d.h, d.colour, d.interlace = int(w), int(h), b[9], b[12]
	switch d.colour {
	case pngGray:
		d.channels = 1
	case pngRGB:
		d.channels = 3
	case pngGrayAlpha:
		d.channels = 2
	case pngRGBA:
		d.channels = 4
	default:
		return pngError(fmt.Sprintf("colour type %d at 16 bits", d.colour))
	}
	// Read checked the size against its bound already.
	if b[8] != 16 || b[10] != 0 || b[11] != 0 || b[12] > 1 || w == 0 || h == 0 || w > 1<<24 || h > 1<<24 {
		return pngError("bad IHDR")
	}
	return nil
}

// transparency reads a tRNS chunk: for gray and RGB images, the colour that
// is transparent.
func (d *png16) transparency(n uint32) error {
	b, err := d.data(n)
	if err != nil {
		return err
	}
	if d.colour != pngGray && d.colour != pngRGB || len(b) != 2*d.channels {
		return pngError("bad tRNS chunk")
	}
	d.trns = make([]uint16, d.channels)
	for i := range d.trns {
		d.trns[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return nil
}

// Read reads the zlib stream from the IDAT chunks, one after another.
func (d *png16) Read(p []byte) (int, error) {
	for d.idat == 0 {
		if err := d.checkCRC(); err != nil {
			return 0, err
		}
		n, kind, err := d.chunkHeader()
		if err != nil {
			return 0, err
		}
		if kind != "IDAT" {
			return 0, io.ErrUnexpectedEOF // the stream ended before its end
		}
		d.idat = n
	}
	n, err := d.r.Read(p[:min(len(p), int(d.idat))])
	d.crc.Write(p[:n])
	d.idat -= uint32(n)
	return n, unexpected(err)
}

// A pass is part of an image's pixels: every xStep-th pixel from xOff of
// every yStep-th row from yOff.
type pass struct{ xOff, yOff, xStep, yStep int }

// inflate returns the data of the zlib stream r holds. It reads the
// stream's header and leaves its Adler-32 checksum unchecked, as the
// image ends before the stream does; the chunks' CRCs are checked.
func inflate(r io.Reader) (io.ReadCloser, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("png: %w", unexpected(err))
	}
	if h[0]&0x0f != 8 || h[0]>>4 > 7 || (uint(h[0])<<8|uint(h[1]))%31 != 0 || h[1]&0x20 != 0 {
		return nil, errors.New("png: zlib: invalid header")
	}
	return flate.NewReader(r), nil
}

// adam7 are the passes of an interlaced image.
var adam7 = []pass{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}

// image reads the rows of the zlib stream into luma.
func (d *png16) image() (*image.Gray, error) {
	zr, err := inflate(d)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	img := image.NewGray(image.Rect(0, 0, d.w, d.h))
	passes := adam7
	if d.interlace == 0 {
		passes = []pass{{0, 0, 1, 1}}
	}
	bpp := 2 * d.channels
	cur := make([]byte, 1+d.w*bpp)
	prev := make([]byte, 1+d.w*bpp)
	for _, p := range passes {
		pw, ph := (d.w-p.xOff+p.xStep-1)/p.xStep, (d.h-p.yOff+p.yStep-1)/p.yStep
		if pw <= 0 || ph <= 0 {
			continue
		}
		n := pw * bpp
		clear(prev[:1+n])
		for y := range ph {
			row := cur[:1+n]
			if _, err := io.ReadFull(zr, row); err != nil {
				return nil, fmt.Errorf("png: %w", unexpected(err))
			}
			if err := unfilter(row[0], row[1:], prev[1:1+n], bpp); err != nil {
				return nil, err
			}
			d.lumaRow(img.Pix[(p.yOff+y*p.yStep)*img.Stride:], p.xOff, p.xStep, row[1:])
			cur, prev = prev, cur
		}
	}
	// The rest of the chunk holding the stream's end, for its CRC.
	if _, err := io.CopyN(d.crc, d.r, int64(d.idat)); err != nil {
		return nil, unexpected(err)
	}
	if err := d.checkCRC(); err != nil {
		return nil, err
	}
	return img, nil
}

// lumaRow writes the luma over white of a pass's row of 16-bit samples,
// raw, into dst at x0, x0+step, … as the decoder computes luma for any
// image: color.RGBA (premultiplied) plus the paper showing through, to 8
// bits, then gozxing's BT.601 weights. An opaque pixel's is that of the
// samples' high bytes.
func (d *png16) lumaRow(dst []byte, x0, step int, raw []byte) {
	bpp := 2 * d.channels
	switch {
	case d.colour == pngGray && d.trns == nil:
		for x, i := x0, 0; i < len(raw); x, i = x+step, i+bpp {
			dst[x] = raw[i]
		}
	case d.colour == pngRGB && d.trns == nil:
		for x, i := x0, 0; i < len(raw); x, i = x+step, i+bpp {
			dst[x] = luma8(uint32(raw[i]), uint32(raw[i+2]), uint32(raw[i+4]))
		}
	default:
		for x, i := x0, 0; i < len(raw); x, i = x+step, i+bpp {
			dst[x] = d.luma(raw[i : i+bpp])
		}
	}
}

// luma returns the luma over white of one pixel's 16-bit samples.
func (d *png16) luma(px []byte) uint8 {
	var c [4]uint32
	for i := range d.channels {
		c[i] = uint32(binary.BigEndian.Uint16(px[2*i:]))
	}
	r, g, b, a := c[0], c[0], c[0], uint32(0xffff)
	switch d.colour {
	case pngRGB:
		g, b = c[1], c[2]
	case pngGrayAlpha:
		a = c[1]
	case pngRGBA:
		g, b, a = c[1], c[2], c[3]
	}
	if d.trns != nil && c[0] == uint32(d.trns[0]) && (d.channels == 1 || c[1] == uint32(d.trns[1]) && c[2] == uint32(d.trns[2])) {
		a = 0
	}
	return luma8((r*a/0xffff+0xffff-a)>>8, (g*a/0xffff+0xffff-a)>>8, (b*a/0xffff+0xffff-a)>>8)
}

// luma8 is the BT.601 luma of 8-bit RGB as gozxing computes it, and the
// decoder with it.
func luma8(r, g, b uint32) uint8 { return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16) }

// unfilter undoes a row's PNG filter in place, given the previous row of
// its pass (zeros for the first) and the bytes a pixel takes. Average and
// Paeth go down each byte of the pixel in turn, left and upper left in
// registers.
func unfilter(filter byte, cur, prev []byte, bpp int) error {
	switch filter {
	case 0:
	case 1:
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2:
		for i, p := range prev {
			cur[i] += p
		}
	case 3:
		for k := range bpp {
			left := 0
			for i := k; i < len(cur); i += bpp {
				left = int(cur[i]+uint8((left+int(prev[i]))/2)) & 0xff
				cur[i] = uint8(left)
			}
		}
	case 4:
		for k := range bpp {
			left, upLeft := 0, 0
			for i := k; i < len(cur); i += bpp {
				up := int(prev[i])
				left = int(cur[i]+uint8(paeth(left, up, upLeft))) & 0xff
				cur[i], upLeft = uint8(left), up
			}
		}
	default:
		return pngError(fmt.Sprintf("bad filter type %d", filter))
	}
	return nil
}

// paeth is the PNG Paeth predictor: of left, up and upper left, the one
// nearest to left + up - upper left.
func paeth(left, up, upLeft int) int {
	pa, pb := abs(up-upLeft), abs(left-upLeft) // |p-left|, |p-up|
	pc := abs(up + left - 2*upLeft)            // |p-upLeft|
	switch {
	case pa <= pb && pa <= pc:
		return left
	case pb <= pc:
		return up
	}
	return upLeft
}

func abs(v int) int { return max(v, -v) }
