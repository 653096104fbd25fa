package source

import "time"

// SetStall sets how long the mjpeg: source s waits for data, so that a test
// of a stalled camera need not wait mjpegStall.
func SetStall(s Source, d time.Duration) { s.(*mjpegSource).stall = d }

// SamePixels reports whether two YCbCr or gray images are the same, a
// level apart at most: libjpeg-turbo's frames next to image/jpeg's.
var SamePixels = samePixels
