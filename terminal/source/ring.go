package source

import (
	"image"
	"sync"
	"time"

	"github.com/fuscan/fuscan/terminal"
)

// ring recycles the images a camera source sends, so that a frame costs
// no allocation once the ring is full: a 1280×720 frame is 1.4 to 1.8 MB,
// 40 to 55 MB a second at 30 frames a second for the collector. An image
// is filled again only once its frame was released (terminal.Frame.Release:
// the pipeline has decoded it, or replaced it by a newer one); when none is
// free, a new one is made, which the ring keeps while it has fewer than
// ringSize, and otherwise leaves to the collector. A ring is safe for
// concurrent use: frames are released from the consumer's goroutines.
type ring struct {
	mu    sync.Mutex
	slots []slot
}

type slot struct {
	img  image.Image
	busy bool // handed out and not released
}

// ringSize is the most images a ring keeps: the pipeline holds two frames
// at most (one decoding, one waiting), and a Frames callback none.
const ringSize = 4

// get returns an image for which fits reports true: a free one of the
// ring's, or a new one from alloc.
func (r *ring) get(fits func(image.Image) bool, alloc func() image.Image) image.Image {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.slots {
		if s := &r.slots[i]; !s.busy && fits(s.img) {
			s.busy = true
			return s.img
		}
	}
	img := alloc()
	switch {
	case len(r.slots) < ringSize:
		r.slots = append(r.slots, slot{img, true})
	default:
		// A free slot of another layout (the camera changed its size) makes
		// room; else the image is the collector's.
		for i := range r.slots {
			if !r.slots[i].busy {
				r.slots[i] = slot{img, true}
				break
			}
		}
	}
	return img
}

// release frees img for the next frame; an image not of the ring is left
// to the collector. Releasing twice is harmless.
func (r *ring) release(img image.Image) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.slots {
		if r.slots[i].img == img {
			r.slots[i].busy = false
		}
	}
}

// frame returns the frame of img, captured at at, whose Release hands img
// back to the ring.
func (r *ring) frame(img image.Image, at time.Time, seq uint64) terminal.Frame {
	return terminal.Frame{Image: img, At: at, Seq: seq, Release: func() { r.release(img) }}
}

// planes is the layout of an image a frame is converted into: Y (or
// gray) rows of yStride bytes, yRows of them, and for YCbCr chroma rows
// of cStride bytes, cRows of them; strides and rows may exceed the
// image's, as libjpeg-turbo pads planes to whole blocks.
type planes struct {
	rect           image.Rectangle
	gray           bool
	ratio          image.YCbCrSubsampleRatio
	yStride, yRows int
	cStride, cRows int
}

// image returns an image of layout p from the ring: an *image.Gray or an
// *image.YCbCr.
func (r *ring) image(p planes) image.Image {
	return r.get(p.of, p.alloc)
}

// of reports whether img has layout p.
func (p planes) of(img image.Image) bool {
	switch m := img.(type) {
	case *image.Gray:
		return p.gray && m.Rect == p.rect && m.Stride == p.yStride && len(m.Pix) == p.yStride*p.yRows
	case *image.YCbCr:
		return !p.gray && m.Rect == p.rect && m.SubsampleRatio == p.ratio &&
			m.YStride == p.yStride && len(m.Y) == p.yStride*p.yRows &&
			m.CStride == p.cStride && len(m.Cb) == p.cStride*p.cRows
	}
	return false
}

func (p planes) alloc() image.Image {
	if p.gray {
		return &image.Gray{Pix: make([]byte, p.yStride*p.yRows), Stride: p.yStride, Rect: p.rect}
	}
	c := make([]byte, 2*p.cStride*p.cRows)
	return &image.YCbCr{
		Y: make([]byte, p.yStride*p.yRows), YStride: p.yStride,
		Cb: c[: len(c)/2 : len(c)/2], Cr: c[len(c)/2:], CStride: p.cStride,
		SubsampleRatio: p.ratio, Rect: p.rect,
	}
}
