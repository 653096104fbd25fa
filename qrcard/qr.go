package qrcard

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// ErrEmptyText is returned, wrapped, for an empty code text.
var ErrEmptyText = errors.New("empty code text")

// ErrTooLong is returned, wrapped, for a code text that does not fit a QR
// code at the requested error-correction level.
var ErrTooLong = errors.New("code text too long for a qr code")

// Level is a QR error-correction level. The zero value is LevelM.
type Level int

// The error-correction levels, with the share of the symbol each can lose
// and still decode.
const (
	LevelM Level = iota // about 15%; the default
	LevelL              // about 7%
	LevelQ              // about 25%
	LevelH              // about 30%
)

// String returns the level's letter: "M", "L", "Q" or "H".
func (l Level) String() string {
	switch l {
	case LevelM:
		return "M"
	case LevelL:
		return "L"
	case LevelQ:
		return "Q"
	case LevelH:
		return "H"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

func (l Level) zxing() (decoder.ErrorCorrectionLevel, error) {
	switch l {
	case LevelM:
		return decoder.ErrorCorrectionLevel_M, nil
	case LevelL:
		return decoder.ErrorCorrectionLevel_L, nil
	case LevelQ:
		return decoder.ErrorCorrectionLevel_Q, nil
	case LevelH:
		return decoder.ErrorCorrectionLevel_H, nil
	}
	return 0, fmt.Errorf("unknown error-correction level %d", int(l))
}

// maxTextLen is the most characters any QR code holds: 7089 digits in a
// version 40 symbol at level L.
const maxTextLen = 7089

// Default image geometry, and the largest image side Image will allocate.
const (
	defaultModulePx  = 8
	defaultQuietZone = 4
	maxImageSide     = 1 << 13
)

// ImageOptions configures Image and WritePNG. A nil *ImageOptions means
// level M, 8 pixels per module and a 4-module quiet zone.
type ImageOptions struct {
	// Level is the error-correction level; zero means LevelM.
	Level Level

	// ModulePx is the side of one module in pixels; zero means 8.
	ModulePx int

	// QuietZone is the white border around the symbol, in modules; zero
	// means 4, the minimum the QR standard asks for. There is no way to ask
	// for none: scanners need the border to find the symbol.
	QuietZone int
}

// resolved returns o with its zero fields set to their defaults, or an error
// for a field no default can repair.
func (o *ImageOptions) resolved() (ImageOptions, error) {
	r := ImageOptions{ModulePx: defaultModulePx, QuietZone: defaultQuietZone}
	if o == nil {
		return r, nil
	}
	if o.ModulePx < 0 || o.ModulePx > maxImageSide {
		return r, fmt.Errorf("qrcard: module size %d px out of range 0..%d", o.ModulePx, maxImageSide)
	}
	if o.QuietZone < 0 || o.QuietZone > maxImageSide {
		return r, fmt.Errorf("qrcard: quiet zone %d modules out of range 0..%d", o.QuietZone, maxImageSide)
	}
	r.Level = o.Level
	if o.ModulePx != 0 {
		r.ModulePx = o.ModulePx
	}
	if o.QuietZone != 0 {
		r.QuietZone = o.QuietZone
	}
	return r, nil
}

// Matrix returns the QR modules for text at the given level, without quiet
// zone, as rows from top to bottom; true is a dark module. The matrix is
// square: its side is 21 modules for version 1 up to 177 for version 40.
func Matrix(text string, level Level) ([][]bool, error) {
	m, err := encode(text, level)
	if err != nil {
		return nil, fmt.Errorf("qrcard: %w", err)
	}
	return m, nil
}

// encode is Matrix with errors that do not name the package, for callers
// that put their own context first.
func encode(text string, level Level) ([][]bool, error) {
	if text == "" {
		return nil, ErrEmptyText
	}
	if len(text) > maxTextLen {
		// gozxing takes time quadratic in the length to find this out.
		return nil, fmt.Errorf("%w: %d characters", ErrTooLong, len(text))
	}
	if !utf8.ValidString(text) {
		return nil, errors.New("code text is not valid utf-8")
	}
	ecl, err := level.zxing()
	if err != nil {
		return nil, err
	}
	// No character-set hint: without one the encoder picks alphanumeric mode
	// whenever every character allows it, which Base45 code texts do. The
	// margin is ours to draw, so the matrix comes back at one pixel a module.
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: ecl,
		gozxing.EncodeHintType_MARGIN:           0,
	}
	bits, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		// gozxing has no sentinel for this; its message is all there is.
		if strings.Contains(err.Error(), "Data too big") {
			return nil, fmt.Errorf("%w: %d characters at level %v", ErrTooLong, len(text), level)
		}
		return nil, fmt.Errorf("encode: %w", err)
	}
	n := bits.GetWidth()
	cells := make([]bool, n*n)
	rows := make([][]bool, n)
	for y := range rows {
		rows[y] = cells[y*n : (y+1)*n : (y+1)*n]
		for x := range rows[y] {
			rows[y][x] = bits.Get(x, y)
		}
	}
	return rows, nil
}

// Image renders text as a black-on-white QR code surrounded by its quiet
// zone. Its side is (modules + 2×QuietZone) × ModulePx pixels, at most 8192.
func Image(text string, opts *ImageOptions) (*image.Gray, error) {
	o, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	m, err := Matrix(text, o.Level)
	if err != nil {
		return nil, err
	}
	side := (len(m) + 2*o.QuietZone) * o.ModulePx
	if side > maxImageSide {
		return nil, fmt.Errorf("qrcard: image side %d px exceeds %d", side, maxImageSide)
	}
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	border := o.QuietZone * o.ModulePx
	for y, row := range m {
		// Paint the first pixel row of this module row, then copy it down.
		top := (border+y*o.ModulePx)*img.Stride + border
		line := img.Pix[top : top+len(row)*o.ModulePx]
		for x, dark := range row {
			if dark {
				clear(line[x*o.ModulePx : (x+1)*o.ModulePx])
			}
		}
		for k := 1; k < o.ModulePx; k++ {
			copy(img.Pix[top+k*img.Stride:], line)
		}
	}
	return img, nil
}

// WritePNG writes the Image of text to w as a grayscale PNG.
func WritePNG(w io.Writer, text string, opts *ImageOptions) error {
	img, err := Image(text, opts)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("qrcard: write png: %w", err)
	}
	return nil
}
