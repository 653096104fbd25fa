//go:build linux

package source

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"syscall"
	"time"

	"github.com/blackjack/webcam"

	"github.com/fuscan/fuscan/terminal"
)

// v4l2Buffers is the number of frames the driver may hold: few, so that
// a frame read is a recent one.
const v4l2Buffers = 4

// v4l2Source streams a USB camera through video4linux.
type v4l2Source struct {
	dev  string
	size image.Point // asked for; the camera's nearest is used
	fps  float64     // 0: the camera's own rate
	opts Options
}

func newV4L2(dev string, size image.Point, fps float64, o Options) (Source, error) {
	return &v4l2Source{dev: dev, size: size, fps: fps, opts: o}, nil
}

// Run streams frames until ctx is done, or until the device fails, goes
// away or sends no frame for v4l2Timeout. YUYV frames are sent as
// *image.YCbCr (4:2:2), MJPEG frames as *image.YCbCr in the camera's
// subsampling (see converter).
func (s *v4l2Source) Run(ctx context.Context, frames chan<- terminal.Frame, _ chan<- terminal.Scan) error {
	cam, err := webcam.Open(s.dev)
	if err != nil {
		return fmt.Errorf("source: v4l2: %s: %w", s.dev, err)
	}
	defer cam.Close()
	format, size, err := s.configure(cam)
	if err != nil {
		return fmt.Errorf("source: v4l2: %s: %w", s.dev, err)
	}
	if err := cam.SetBufferCount(v4l2Buffers); err != nil {
		return fmt.Errorf("source: v4l2: %s: %w", s.dev, err)
	}
	if err := cam.StartStreaming(); err != nil {
		return fmt.Errorf("source: v4l2: %s: %w", s.dev, err)
	}
	conv := newConverter()
	defer conv.close()
	log := s.opts.Logger.With(slog.String("source", s.dev))
	attrs := []any{slog.String("format", fourcc(format)), slog.Any("size", size)}
	if format == pixMJPEG {
		attrs = append(attrs, slog.String("jpeg", conv.jpeg.name()))
	}
	log.Info("source: v4l2: streaming", attrs...)
	skips := &skipLog{log: log, msg: "source: v4l2: skipping a bad frame"}
	var seq uint64
	for {
		img, at, err := s.next(ctx, cam, conv, format, size)
		var bad *badFrame
		switch {
		case errors.As(err, &bad):
			skips.skip(bad.err)
			continue
		case err != nil:
			return err
		}
		seq++
		if err := sendFrame(ctx, frames, conv.frame(img, at, seq)); err != nil {
			return err
		}
	}
}

// badFrame is a frame that could not be converted: skipped, not fatal.
type badFrame struct{ err error }

func (e *badFrame) Error() string { return e.err.Error() }

// next waits for the next frame and converts it, returning it with the
// time it came. WaitForFrame polls a second at a time, so that ctx is
// checked at least once a second.
func (s *v4l2Source) next(ctx context.Context, cam *webcam.Webcam, conv *converter, format uint32, size image.Point) (image.Image, time.Time, error) {
	for waited := 0; ; waited++ {
		if err := ctx.Err(); err != nil {
			return nil, time.Time{}, err
		}
		if waited >= int(v4l2Timeout.Seconds()) {
			return nil, time.Time{}, fmt.Errorf("source: v4l2: %s: no frame for %v", s.dev, v4l2Timeout)
		}
		err := cam.WaitForFrame(1)
		var timeout *webcam.Timeout
		if errors.As(err, &timeout) {
			continue
		}
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("source: v4l2: %s: %w", s.dev, err)
		}
		buf, index, err := cam.GetFrame()
		if errors.Is(err, syscall.EAGAIN) {
			continue
		}
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("source: v4l2: %s: %w", s.dev, err)
		}
		// The buffer is the driver's: convert (copy) it before handing
		// it back.
		at := s.opts.Now()
		img, cerr := conv.convert(at, format, size, buf)
		if err := cam.ReleaseFrame(index); err != nil {
			return nil, time.Time{}, fmt.Errorf("source: v4l2: %s: %w", s.dev, err)
		}
		if cerr != nil {
			return nil, time.Time{}, &badFrame{cerr}
		}
		return img, at, nil
	}
}

// configure sets the pixel format and size pickFormat chooses, and the
// frame rate when one was asked for.
func (s *v4l2Source) configure(cam *webcam.Webcam) (uint32, image.Point, error) {
	sizes := map[uint32][]frameSize{}
	for f := range cam.GetSupportedFormats() {
		if uint32(f) != pixMJPEG && uint32(f) != pixYUYV {
			continue
		}
		sizes[uint32(f)] = nil
		for _, fs := range cam.GetSupportedFrameSizes(f) {
			sizes[uint32(f)] = append(sizes[uint32(f)], frameSize{
				minW: fs.MinWidth, maxW: fs.MaxWidth, stepW: fs.StepWidth,
				minH: fs.MinHeight, maxH: fs.MaxHeight, stepH: fs.StepHeight,
			})
		}
	}
	format, size, err := pickFormat(sizes, s.size)
	if err != nil {
		return 0, image.Point{}, err
	}
	// webcam v0.6.1 returns the size asked for, not the driver's: a YUYV
	// frame's length is checked against it instead.
	got, _, _, err := cam.SetImageFormat(webcam.PixelFormat(format), uint32(size.X), uint32(size.Y))
	if err != nil {
		return 0, image.Point{}, fmt.Errorf("setting %s %v: %w", fourcc(format), size, err)
	}
	if uint32(got) != format {
		return 0, image.Point{}, fmt.Errorf("asked for %s frames, the driver gives %s", fourcc(format), fourcc(uint32(got)))
	}
	if s.fps > 0 {
		if err := cam.SetFramerate(float32(s.fps)); err != nil {
			s.opts.Logger.Warn("source: v4l2: the camera keeps its own frame rate", slog.String("source", s.dev),
				slog.Float64("fps", s.fps), slog.Any("err", err))
		}
	}
	return format, size, nil
}
