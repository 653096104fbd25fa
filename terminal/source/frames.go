package source

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"time"

	"github.com/fuscan/fuscan/terminal"
)

// The pixel formats v4l2: reads, as V4L2 fourcc codes.
const (
	pixMJPEG uint32 = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24
	pixYUYV  uint32 = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
)

// maxFramePixels bounds a camera frame: a JPEG header may claim 65535×65535
// pixels in a few bytes, and image/jpeg would allocate them. 16 megapixels
// takes in 4K and 12-megapixel cameras.
const maxFramePixels = 1 << 24

// checkYUYV checks that n bytes hold a w×h frame packed as YUYV, rows
// stride bytes apart (at least 2·w): w must be even, as V4L2 makes it for
// YUYV.
func checkYUYV(n, w, h, stride int) error {
	if w <= 0 || h <= 0 || w%2 != 0 || w > maxFramePixels/h {
		return fmt.Errorf("yuyv: frame of %d×%d pixels: want an even width and 1 to %d pixels", w, h, maxFramePixels)
	}
	if stride < 2*w {
		return fmt.Errorf("yuyv: stride %d under the row's %d bytes", stride, 2*w)
	}
	// Rows start stride bytes apart and the last needs 2·w: written so as
	// not to overflow with a huge stride.
	if n < 2*w || h > 1 && stride > (n-2*w)/(h-1) {
		return fmt.Errorf("yuyv: %d bytes for %d×%d pixels with rows %d bytes apart", n, w, h, stride)
	}
	return nil
}

// yuyvPlanes is the layout of a w×h YUYV frame unpacked: 4:2:2, as
// image.NewYCbCr lays it out.
func yuyvPlanes(w, h int) planes {
	return planes{rect: image.Rect(0, 0, w, h), ratio: image.YCbCrSubsampleRatio422, yStride: w, yRows: h, cStride: w / 2, cRows: h}
}

// unpackYUYV unpacks the frame packed as YUYV in src, rows stride bytes
// apart, into dst, whose layout is yuyvPlanes' for its size, checked by
// checkYUYV: each pair of pixels is Y0 Cb Y1 Cr. It goes four pixels at a
// time through a uint64, three times as fast as a byte at a time.
func unpackYUYV(dst *image.YCbCr, src []byte, stride int) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for y := range h {
		row := src[y*stride : y*stride+2*w]
		ys := dst.Y[y*dst.YStride : y*dst.YStride+w]
		cb := dst.Cb[y*dst.CStride : y*dst.CStride+w/2]
		cr := dst.Cr[y*dst.CStride : y*dst.CStride+w/2]
		x := 0
		for ; x+4 <= w; x += 4 {
			// Y0 Cb0 Y1 Cr0 Y2 Cb1 Y3 Cr1, little-endian.
			v := binary.LittleEndian.Uint64(row[2*x:])
			l := v & 0x00ff00ff00ff00ff // the Ys, a 16-bit lane each
			l = (l | l>>8) & 0x0000ffff0000ffff
			binary.LittleEndian.PutUint32(ys[x:], uint32(l|l>>16))
			c := v >> 8 & 0x00ff00ff00ff00ff // Cb0 Cr0 Cb1 Cr1
			cb[x/2], cb[x/2+1] = byte(c), byte(c>>32)
			cr[x/2], cr[x/2+1] = byte(c>>16), byte(c>>48)
		}
		for ; x < w; x += 2 {
			p := row[2*x : 2*x+4 : 2*x+4]
			ys[x], cb[x/2], ys[x+1], cr[x/2] = p[0], p[1], p[2], p[3]
		}
	}
}

// JPEG markers withDHT reads.
const (
	markerSOI = 0xd8
	markerEOI = 0xd9
	markerSOS = 0xda
	markerDHT = 0xc4
	markerTEM = 0x01
	markerRST = 0xd0 // to 0xd7
)

// withDHT returns data with the standard Huffman tables of JPEG's Annex
// K.3 inserted before the start of scan when no DHT segment comes before
// it, as ffmpeg does: many UVC and IP cameras send MJPEG frames without
// tables and mean these. Data that has tables, or that cannot be walked to
// its start of scan, is returned as it is, for the decoder to judge; the
// data with tables is written over buf, reallocated if too short.
func withDHT(buf, data []byte) []byte {
	sos, err := scanStart(data)
	if err != nil {
		return data
	}
	out := append(buf[:0], data[:sos]...)
	out = append(out, defaultDHT...)
	return append(out, data[sos:]...)
}

// errHasDHT says that a JPEG needs no tables.
var errHasDHT = errors.New("jpeg: has a DHT segment")

// scanStart returns the offset of the SOS marker of a JPEG without a DHT
// segment before it.
func scanStart(data []byte) (int, error) {
	if len(data) < 2 || data[0] != 0xff || data[1] != markerSOI {
		return 0, errors.New("jpeg: no SOI marker")
	}
	i := 2
	for {
		// Any number of 0xff fill bytes may precede a marker.
		for i+1 < len(data) && data[i] == 0xff && data[i+1] == 0xff {
			i++
		}
		if i+1 >= len(data) || data[i] != 0xff {
			return 0, errors.New("jpeg: no marker where a segment should start")
		}
		switch m := data[i+1]; {
		case m == markerSOS:
			return i, nil
		case m == markerDHT:
			return 0, errHasDHT
		case m == markerEOI || m == 0:
			return 0, errors.New("jpeg: no SOS marker")
		case m == markerTEM || m&0xf8 == markerRST:
			i += 2 // markers without a length
			continue
		}
		if i+4 > len(data) {
			return 0, errors.New("jpeg: truncated segment")
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 {
			return 0, errors.New("jpeg: bad segment length")
		}
		i += 2 + n
	}
}

// defaultDHT is a DHT segment of the four tables of Annex K.3: luminance
// DC and AC (tables 0), chrominance DC and AC (tables 1).
var defaultDHT = func() []byte {
	tables := []struct {
		class byte // table class << 4 | table id
		bits  [16]byte
		vals  []byte
	}{
		{0x00, [16]byte{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
			[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{0x10, [16]byte{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125}, []byte{
			0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12,
			0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
			0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
			0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
			0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16,
			0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
			0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
			0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
			0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
			0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
			0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79,
			0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
			0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
			0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
			0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
			0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
			0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4,
			0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
			0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
			0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		}},
		{0x01, [16]byte{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
			[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{0x11, [16]byte{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 119}, []byte{
			0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21,
			0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
			0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
			0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
			0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34,
			0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
			0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38,
			0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
			0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
			0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
			0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78,
			0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
			0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96,
			0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
			0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
			0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
			0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2,
			0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
			0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9,
			0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		}},
	}
	seg := []byte{0xff, markerDHT, 0, 0}
	for _, t := range tables {
		seg = append(seg, t.class)
		seg = append(seg, t.bits[:]...)
		seg = append(seg, t.vals...)
	}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(seg)-2))
	return seg
}()

// frameSize is a size a camera offers for a pixel format: one size when
// the steps are zero, or the sizes from min to max in steps.
type frameSize struct {
	minW, maxW, stepW uint32
	minH, maxH, stepH uint32
}

// nearest returns the size s offers nearest to want: the least sum of
// the differences of the sides, the larger of two equally near.
func nearest(sizes []frameSize, want image.Point) (image.Point, bool) {
	var best image.Point
	bestD := -1
	for _, s := range sizes {
		p := image.Pt(snap(want.X, s.minW, s.maxW, s.stepW), snap(want.Y, s.minH, s.maxH, s.stepH))
		if p.X <= 0 || p.Y <= 0 {
			continue
		}
		d := abs(p.X-want.X) + abs(p.Y-want.Y)
		if bestD < 0 || d < bestD || d == bestD && p.X*p.Y > best.X*best.Y {
			best, bestD = p, d
		}
	}
	return best, bestD >= 0
}

// snap returns the value from lo to hi in steps nearest to v.
func snap(v int, lo, hi, step uint32) int {
	if hi < lo {
		return 0
	}
	if v <= int(lo) || step == 0 && v < int(hi) {
		return int(lo)
	}
	if v >= int(hi) {
		return int(hi)
	}
	k := (v - int(lo) + int(step)/2) / int(step)
	return min(int(lo)+k*int(step), int(hi))
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// mjpegAbove is the frame area beyond which v4l2: prefers MJPEG to YUYV:
// over USB 2, uncompressed frames larger than 640×480 come at a few a
// second.
const mjpegAbove = 640 * 480

// pickFormat chooses the pixel format and size of a camera offering sizes
// for each of its formats: MJPEG for frames larger than mjpegAbove when
// offered, else YUYV, else MJPEG; each at the size nearest to want, or
// want itself for a format whose sizes the camera does not list (the
// driver then adjusts it).
func pickFormat(sizes map[uint32][]frameSize, want image.Point) (uint32, image.Point, error) {
	order := []uint32{pixYUYV, pixMJPEG}
	if want.X*want.Y > mjpegAbove {
		order = []uint32{pixMJPEG, pixYUYV}
	}
	for _, f := range order {
		listed, offered := sizes[f]
		if !offered {
			continue
		}
		if p, ok := nearest(listed, want); ok {
			return f, p, nil
		}
		return f, want, nil
	}
	return 0, image.Point{}, errors.New("the camera offers neither MJPEG nor YUYV frames")
}

// skipEvery is how many skipped frames share one log line.
const skipEvery = 100

// skipLog logs frames that are skipped: the first, then one line for
// every skipEvery, so that a camera sending garbage cannot flood the log.
type skipLog struct {
	log     *slog.Logger
	msg     string
	skipped int
}

func (l *skipLog) skip(err error) {
	l.skipped++
	if l.skipped%skipEvery == 1 {
		l.log.Warn(l.msg, slog.Int("skipped", l.skipped), slog.Any("err", err))
	}
}

// converter turns a camera's frames into images: MJPEG through
// libjpeg-turbo (image/jpeg without cgo), YUYV unpacked, into images of a
// ring. A converter is for one goroutine; close it when done.
type converter struct {
	ring ring
	jpeg jpegDecoder
	dht  []byte // a frame with the tables withDHT inserts
}

// newConverter returns a converter.
func newConverter() *converter {
	return &converter{jpeg: newJPEGDecoder()}
}

func (c *converter) close() { c.jpeg.close() }

// frame returns the frame of img, an image of the converter's ring: its
// Release hands the image back for a later frame.
func (c *converter) frame(img image.Image, at time.Time, seq uint64) terminal.Frame {
	return c.ring.frame(img, at, seq)
}

// convert turns one camera frame in format, of the size the camera was
// set to, captured at at, into an image of the ring, which does not share
// the camera's buffer.
func (c *converter) convert(at time.Time, format uint32, size image.Point, buf []byte) (image.Image, error) {
	if format == pixMJPEG {
		return c.decodeJPEG(at, buf)
	}
	// Drivers may pad rows: the stride is what the length says.
	if size.Y <= 0 || len(buf)%size.Y != 0 {
		return nil, fmt.Errorf("yuyv: %d bytes do not make %d rows", len(buf), size.Y)
	}
	stride := len(buf) / size.Y
	if err := checkYUYV(len(buf), size.X, size.Y, stride); err != nil {
		return nil, err
	}
	img := c.ring.image(yuyvPlanes(size.X, size.Y)).(*image.YCbCr)
	unpackYUYV(img, buf, stride)
	return img, nil
}

// decodeJPEG decodes one camera frame captured at at, with the standard
// Huffman tables inserted when it has none (see withDHT), after checking
// its size.
func (c *converter) decodeJPEG(at time.Time, data []byte) (image.Image, error) {
	if out := withDHT(c.dht, data); len(out) != len(data) {
		c.dht, data = out, out // the buffer, grown, for the next frame
	}
	return c.jpeg.decode(at, data, &c.ring)
}

// fourcc returns a pixel format's four characters, for messages.
func fourcc(f uint32) string {
	return string([]byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)})
}
