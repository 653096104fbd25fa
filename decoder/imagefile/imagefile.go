// Package imagefile reads image files for the decoder, bounded: PNG, JPEG,
// GIF and any other format the program registers with package image, each
// refused over a number of pixels before one is allocated; and 16-bit PNGs
// read a row at a time into 8-bit luma, never held at 16 bits.
//
// A 16-bit PNG of 7000×7000 pixels may be a few hundred kilobytes of file;
// package image/png would make it an image of 392 MB (8 bytes a pixel),
// and converting that to luma through its At method costs seconds more.
// Read makes it an *image.Gray of 49 MB, with a few rows of 16-bit samples
// at a time on the way.
//
// # Caveats
//
// A 16-bit PNG is returned as the luma of its pixels composited over
// white: its colour is lost, so the decoder's min(R,G,B) step, which reads
// pale coloured codes, does not see it. Other files keep their colour.
//
// Read bounds the pixels, not the time: a file of MaxPixels pixels takes
// a second or two to read, and longer if it compresses badly.
package imagefile

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the formats a file may be in
	_ "image/jpeg"
	_ "image/png"
	"io"
)

// MaxPixels is the bound of Read's maxPixels left zero: a 48-megapixel
// photo, what the decoder accepts.
const MaxPixels = 48 << 20

// ErrTooLarge is returned, wrapped, for an image of more pixels than Read
// accepts.
var ErrTooLarge = errors.New("imagefile: image too large")

// Read decodes the image file r holds from where it stands: first its
// header, refusing an image of more than maxPixels pixels (MaxPixels if
// maxPixels is 0 or less) before allocating it, then its pixels. format is
// the format's name as registered with package image ("png", "jpeg",
// "gif", ...); a file of no registered format gives an error wrapping
// image.ErrFormat. A 16-bit PNG gives an *image.Gray (see the caveats).
func Read(r io.ReadSeeker, maxPixels int) (img image.Image, format string, err error) {
	if maxPixels <= 0 {
		maxPixels = MaxPixels
	}
	start, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, "", err
	}
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return nil, format, err
	}
	if w, h := int64(cfg.Width), int64(cfg.Height); w <= 0 || h <= 0 || w*h > int64(maxPixels) {
		return nil, format, fmt.Errorf("%w: %s of %d×%d pixels, over %d", ErrTooLarge, format, w, h, maxPixels)
	}
	if _, err := r.Seek(start, io.SeekStart); err != nil {
		return nil, format, err
	}
	br := bufio.NewReader(r)
	if head, _ := br.Peek(pngHeaderLen); format == "png" && isPNG16(head) {
		img, err = readPNG16(br)
	} else {
		img, _, err = image.Decode(br)
	}
	if err != nil {
		return nil, format, err
	}
	// The header said one size and the pixels another: a hostile file.
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, format, fmt.Errorf("%s: image of %v, its header says %d×%d", format, b.Size(), cfg.Width, cfg.Height)
	}
	return img, format, nil
}
