package source

import (
	"image"
	"time"
)

// ring recycles the images a camera source sends, so that a frame costs
// no allocation once the ring is full: a 1280×720 frame is 1.4 to 1.8 MB,
// 40 to 55 MB a second at 30 frames a second for the collector. The
// consumer has no way to hand an image back, so the ring takes it to be
// done with one that was sent reuseFrames frames and reuseAfter ago: the
// pipeline keeps the latest frame waiting and decodes one at a time
// within its budget (50 ms by default), and Frames callbacks must not keep
// an image. An image handed out more recently is never filled again; when
// none is free, a new one is allocated and the longest-sent one is left to
// the consumer and the collector.
type ring struct {
	n     uint64 // images handed out so far
	slots []slot
}

type slot struct {
	img image.Image
	n   uint64    // ring.n when handed out; 0 when free
	at  time.Time // when handed out
}

const (
	// ringSize is the most images a ring keeps: at 30 frames a second,
	// 8 frames are 267 ms, so that the oldest is free again when it is
	// needed. A faster camera gets a new image for some frames.
	ringSize = 8
	// reuseFrames and reuseAfter say when the consumer is done with an
	// image: three frames later (the pipeline holds two at most) and
	// four times the decoder's default budget later.
	reuseFrames = 3
	reuseAfter  = 200 * time.Millisecond
)

// get returns an image for which fits reports true to fill with the
// frame of time at: a free one of the ring's, or a new one from alloc.
func (r *ring) get(at time.Time, fits func(image.Image) bool, alloc func() image.Image) image.Image {
	r.n++
	now := at
	oldest := -1
	for i := range r.slots {
		s := &r.slots[i]
		if s.n == 0 || r.n-s.n >= reuseFrames && now.Sub(s.at) >= reuseAfter {
			if fits(s.img) {
				s.n, s.at = r.n, now
				return s.img
			}
		}
		if oldest < 0 || s.n < r.slots[oldest].n {
			oldest = i
		}
	}
	img := alloc()
	if len(r.slots) < ringSize {
		r.slots = append(r.slots, slot{img, r.n, now})
	} else {
		r.slots[oldest] = slot{img, r.n, now}
	}
	return img
}

// unsent frees img at once: it was not sent after all (the frame failed to
// convert).
func (r *ring) unsent(img image.Image) {
	for i := range r.slots {
		if r.slots[i].img == img {
			r.slots[i].n = 0
		}
	}
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

// image returns an image of layout p from the ring for the frame of time
// at: an *image.Gray or an *image.YCbCr.
func (r *ring) image(at time.Time, p planes) image.Image {
	return r.get(at, p.of, p.alloc)
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
