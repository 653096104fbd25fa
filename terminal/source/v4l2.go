package source

import (
	"fmt"
	"image"
	"net/url"
	"time"
)

// Defaults and bounds of a v4l2: source's frame size, in pixels.
const (
	DefaultV4L2Width  = 1280
	DefaultV4L2Height = 720
	minV4L2Side       = 16
	maxV4L2Side       = 8192
)

// v4l2Timeout is how long v4l2: waits for a frame before Run fails.
const v4l2Timeout = 5 * time.Second

func openV4L2(u *url.URL, q url.Values, o Options) (Source, error) {
	dev, err := path(u)
	if err != nil {
		return nil, err
	}
	if err := params(q, "width", "height", "fps"); err != nil {
		return nil, err
	}
	var size image.Point
	if size.X, err = intParam(q, "width", DefaultV4L2Width, minV4L2Side, maxV4L2Side); err != nil {
		return nil, err
	}
	if size.Y, err = intParam(q, "height", DefaultV4L2Height, minV4L2Side, maxV4L2Side); err != nil {
		return nil, err
	}
	if size.X*size.Y > maxFramePixels {
		return nil, fmt.Errorf("%d×%d pixels: want at most %d", size.X, size.Y, maxFramePixels)
	}
	// Without fps, or with max, the camera keeps its own rate.
	fps := 0.0
	if v := q.Get("fps"); v != "" && v != "max" {
		every, err := interval(q, 1)
		if err != nil {
			return nil, err
		}
		fps = float64(time.Second) / float64(every)
	}
	return newV4L2(dev, size, fps, o)
}
