// Package xprobe reads single pixels of an X server's screen, fast enough
// (a round trip each, well under a millisecond) to time when a window
// changes: the kiosk's real-window latency benchmark uses it.
package xprobe

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

static long root_pixel(Display *d, int x, int y) {
	XImage *img = XGetImage(d, DefaultRootWindow(d), x, y, 1, 1, AllPlanes, ZPixmap);
	if (img == NULL) return -1;
	long p = (long)XGetPixel(img, 0, 0);
	XDestroyImage(img);
	return p;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Display is a connection to an X server. It is not safe for concurrent
// use.
type Display struct{ d *C.Display }

// Open connects to the X server name (such as ":99"), with the
// XAUTHORITY of the environment.
func Open(name string) (*Display, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	d := C.XOpenDisplay(cname)
	if d == nil {
		return nil, errors.New("xprobe: cannot open display " + name)
	}
	return &Display{d: d}, nil
}

// Pixel returns the colour of the screen at x, y, for a 24-bit TrueColor
// screen (Xvfb's -screen 0 WxHx24).
func (d *Display) Pixel(x, y int) (r, g, b uint8, err error) {
	p := C.root_pixel(d.d, C.int(x), C.int(y))
	if p < 0 {
		return 0, 0, 0, errors.New("xprobe: XGetImage failed")
	}
	return uint8(p >> 16), uint8(p >> 8), uint8(p), nil
}

// Close closes the connection.
func (d *Display) Close() { C.XCloseDisplay(d.d) }
