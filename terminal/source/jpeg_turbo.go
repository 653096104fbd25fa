//go:build cgo

package source

// libjpeg-turbo's TurboJPEG library, linked dynamically: it exports
// nothing but its tj functions, so its libjpeg does not meet the one
// MuPDF (go-fitz, in decoder/pdf) links statically into the same binary.

/*
#cgo LDFLAGS: -lturbojpeg
#include <turbojpeg.h>

// decode_planes decodes a JPEG into planes, which Go must not store in C
// memory: the arrays are the call's.
static int decode_planes(tjhandle tj, const unsigned char *jpeg, unsigned long size,
		unsigned char *y, int ys, unsigned char *cb, unsigned char *cr, int cs) {
	unsigned char *planes[3] = {y, cb, cr};
	int strides[3] = {ys, cs, cs};
	return tjDecompressToYUVPlanes(tj, jpeg, size, planes, 0, strides, 0, 0);
}
*/
import "C"

import (
	"errors"
	"image"
	"strings"
	"time"
	"unsafe"
)

// turboJPEG decodes with libjpeg-turbo, leaving out the colour
// conversion: the frame's Y, Cb and Cr planes as the camera subsampled
// them go straight into an image.YCbCr (an image.Gray for a gray JPEG),
// whose Y plane the decoder reads in place, in a fifth of image/jpeg's
// time (BenchmarkJPEG). Decoding to gray alone would save a third more,
// and lose coloured codes: from luma alone the decoder reads 23 of the 30
// of the colored corpus category, 30 with chroma.
type turboJPEG struct {
	tj C.tjhandle
	// The header's figures, kept here: locals whose address cgo is
	// given would move to the heap at every frame.
	w, h, samp, cs C.int
}

// newJPEGDecoder returns libjpeg-turbo's decoder, or image/jpeg's if
// libjpeg-turbo cannot start one.
func newJPEGDecoder() jpegDecoder {
	tj := C.tjInitDecompress()
	if tj == nil {
		return goJPEG{}
	}
	return &turboJPEG{tj: tj}
}

func (d *turboJPEG) name() string { return "libjpeg-turbo" }

func (d *turboJPEG) close() {
	if d.tj != nil {
		C.tjDestroy(d.tj)
		d.tj = nil
	}
}

// turboRatios maps libjpeg-turbo's subsamplings to image.YCbCr's.
var turboRatios = map[C.int]image.YCbCrSubsampleRatio{
	C.TJSAMP_444: image.YCbCrSubsampleRatio444,
	C.TJSAMP_422: image.YCbCrSubsampleRatio422,
	C.TJSAMP_420: image.YCbCrSubsampleRatio420,
	C.TJSAMP_440: image.YCbCrSubsampleRatio440,
	C.TJSAMP_411: image.YCbCrSubsampleRatio411,
}

func (d *turboJPEG) decode(at time.Time, data []byte, r *ring) (image.Image, error) {
	if len(data) == 0 {
		return nil, errors.New("jpeg: empty frame")
	}
	src, size := (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data))
	if C.tjDecompressHeader3(d.tj, src, size, &d.w, &d.h, &d.samp, &d.cs) != 0 {
		// No JPEG, or sampling factors libjpeg-turbo does not name:
		// image/jpeg judges.
		return goJPEG{}.decode(at, data, r)
	}
	if err := checkFrameSize(int(d.w), int(d.h)); err != nil {
		return nil, err
	}
	ratio, ok := turboRatios[d.samp]
	if d.cs != C.TJCS_GRAY && (d.cs != C.TJCS_YCbCr || !ok) {
		return goJPEG{}.decode(at, data, r) // RGB or CMYK: no Y plane to decode into
	}
	// Planes as libjpeg-turbo writes them: padded to whole blocks.
	p := planes{
		rect: image.Rect(0, 0, int(d.w), int(d.h)), gray: d.cs == C.TJCS_GRAY, ratio: ratio,
		yStride: int(C.tjPlaneWidth(0, d.w, d.samp)), yRows: int(C.tjPlaneHeight(0, d.h, d.samp)),
	}
	if !p.gray {
		p.cStride, p.cRows = int(C.tjPlaneWidth(1, d.w, d.samp)), int(C.tjPlaneHeight(1, d.h, d.samp))
	}
	if p.yStride < p.rect.Dx() || p.yRows < p.rect.Dy() || !p.gray && (p.cStride <= 0 || p.cRows <= 0) {
		return nil, errors.New("jpeg: no plane sizes for the frame")
	}
	img := r.image(p)
	var y, cb, cr *C.uchar
	switch m := img.(type) {
	case *image.Gray:
		y = (*C.uchar)(unsafe.Pointer(&m.Pix[0]))
	case *image.YCbCr:
		y = (*C.uchar)(unsafe.Pointer(&m.Y[0]))
		cb, cr = (*C.uchar)(unsafe.Pointer(&m.Cb[0])), (*C.uchar)(unsafe.Pointer(&m.Cr[0]))
	}
	if C.decode_planes(d.tj, src, size, y, C.int(p.yStride), cb, cr, C.int(p.cStride)) != 0 && !d.tolerable() {
		r.release(img)
		return nil, d.err()
	}
	return img, nil
}

// tolerable reports whether the last call's failure was a warning about
// bytes between segments, which libjpeg skips as image/jpeg does: the
// frame is whole. Other warnings mean a damaged frame (its end missing,
// corrupt entropy-coded data): skipped, as image/jpeg refuses it.
func (d *turboJPEG) tolerable() bool {
	return C.tjGetErrorCode(d.tj) == C.TJERR_WARNING && strings.Contains(C.GoString(C.tjGetErrorStr2(d.tj)), "extraneous bytes before marker")
}

func (d *turboJPEG) err() error {
	return errors.New("jpeg: " + strings.TrimSpace(C.GoString(C.tjGetErrorStr2(d.tj))))
}
