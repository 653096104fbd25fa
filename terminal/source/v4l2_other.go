//go:build !linux

package source

import (
	"fmt"
	"image"
)

// newV4L2 fails: video4linux is Linux's.
func newV4L2(string, image.Point, float64, Options) (Source, error) {
	return nil, fmt.Errorf("v4l2 cameras need Linux: %w", ErrUnsupported)
}
