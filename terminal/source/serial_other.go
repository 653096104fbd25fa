//go:build !linux

package source

import (
	"errors"
	"io"
	"os"
)

// speeds is empty: only Linux sets a scanner's baud rate.
var speeds = map[int]uint32{}

// openDevice opens a scanner's device read-only; the baud rate is never
// set here, as speeds admits none.
func openDevice(dev string, baud int) (io.ReadCloser, error) {
	if baud != 0 {
		return nil, errors.New("setting the baud rate needs Linux")
	}
	return os.Open(dev)
}
