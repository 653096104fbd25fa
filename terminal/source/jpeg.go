package source

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"time"
)

// jpegDecoder decodes a camera's JPEG frames, captured at at, into images
// from r where it can. A decoder is for one goroutine.
type jpegDecoder interface {
	decode(at time.Time, data []byte, r *ring) (image.Image, error)
	// name says which decoder it is, for the log.
	name() string
	close()
}

// goJPEG decodes with image/jpeg, into a new image each frame: five times
// libjpeg-turbo's time (BenchmarkJPEG). It is the decoder of a build
// without cgo, and libjpeg-turbo's fallback for frames it cannot put into
// planes (RGB and CMYK JPEGs).
type goJPEG struct{}

func (goJPEG) decode(_ time.Time, data []byte, _ *ring) (image.Image, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if err := checkFrameSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	return jpeg.Decode(bytes.NewReader(data))
}

func (goJPEG) name() string { return "image/jpeg" }
func (goJPEG) close()       {}

// checkFrameSize refuses a JPEG frame of no pixels or more than
// maxFramePixels, before they are allocated.
func checkFrameSize(w, h int) error {
	if w <= 0 || h <= 0 || w > maxFramePixels/h {
		return fmt.Errorf("jpeg: frame of %d×%d pixels: want 1 to %d pixels", w, h, maxFramePixels)
	}
	return nil
}
