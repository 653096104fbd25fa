package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"strings"
	"time"

	_ "golang.org/x/image/bmp"

	"github.com/fuscan/fuscan/decoder" // registers PGM and PPM
	"github.com/fuscan/fuscan/decoder/imagefile"
)

var decodeCommand = &command{
	name:    "decode",
	args:    "[--json] FILE...",
	summary: "read the QR codes in image files and PDFs, as the kiosk camera would",
	help: `
Decode reads every QR code in each FILE and prints its text. FILE is a PNG,
JPEG, GIF, BMP, PGM (or PPM) image, or a PDF, told apart by content, not by
name. An image may hold several codes, such as a photo of a sheet of cards.
Each page of a PDF is rendered at 150 dpi, and at 300 dpi when nothing was
found on it; at most 50 pages are read. An image is decoded for 2 s, a PDF
for 10 s in all; an image over 48 megapixels is refused before its pixels
are read, and a 16-bit PNG is read as 8-bit gray.

Without --json it prints a line a code, "FILE  page N  TEXT" (no page for
an image), or "FILE  no code found", or "FILE  error: ..." for a file that
could not be read.

With --json it prints one JSON object per file, one per line:
  {"file": the path as given,
   "codes": [{"text": ..., "page": N, "points": [[x, y], ...]}],
   "ms": decode time in milliseconds, excluding file loading,
   "error": present only when the file could not be read}
"codes" is [] when none was found. "page" counts from 1 in a PDF and is 0
for an image. "points" are the code's finder pattern centres (and its
alignment pattern, if found): pixels in an image, PDF points (1/72 inch)
from the page's top left corner in a PDF.

The exit status is 0 when every file was read, codes found or not; 1 when
a file could not be read (the others are still decoded), including a PDF
read only in part (over 50 pages, a damaged page, over 10 s): its codes
are printed with its error; 2 for a wrong command line.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &decodeOptions{}
		fs.BoolVar(&o.json, "json", false, "print one JSON object a file")
		return o.run
	},
}

type decodeOptions struct {
	json bool
}

// maxDecodeFile bounds the file decode reads: PDFs are refused over
// DefaultMaxBytes of package decoder/pdf anyway, and images over
// decoder.MaxPixels.
const maxDecodeFile = 256 << 20

// decodeBudget is the ladder's time for an image file: far more than a
// camera frame gets, as a file is decoded once.
const decodeBudget = 2 * time.Second

// decodeResult is the JSON object of one file.
type decodeResult struct {
	File  string       `json:"file"`
	Codes []decodeCode `json:"codes"`
	MS    float64      `json:"ms"`
	Error string       `json:"error,omitempty"`
}

type decodeCode struct {
	Text   string       `json:"text"`
	Page   int          `json:"page"`
	Points [][2]float64 `json:"points"`
}

func (o *decodeOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("no FILE given")
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	failed := 0
	for _, path := range args {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := decodeFile(path)
		if r.Error != "" {
			failed++
		}
		var err error
		if o.json {
			err = enc.Encode(r)
		} else {
			err = writeDecodeHuman(e.stdout, r)
		}
		if err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be read", failed, len(args))
	}
	return nil
}

// decodeFile reads the file at path and decodes the codes in it.
func decodeFile(path string) decodeResult {
	r := decodeResult{File: path, Codes: []decodeCode{}}
	data, err := readDecodeFile(path)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	var codes []decoder.Code
	var elapsed time.Duration
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		codes, elapsed, err = decodePDF(data)
	} else {
		codes, elapsed, err = decodeImage(data)
	}
	r.MS = math.Round(float64(elapsed.Microseconds())/10) / 100
	for _, c := range codes {
		dc := decodeCode{Text: c.Text, Page: c.Page, Points: make([][2]float64, len(c.Points))}
		for i, p := range c.Points {
			dc.Points[i] = [2]float64{math.Round(p.X*100) / 100, math.Round(p.Y*100) / 100}
		}
		r.Codes = append(r.Codes, dc)
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// withoutPath shortens "open x: no such file or directory" to "open: no
// such file or directory": the result names the file already.
func withoutPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

func readDecodeFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, withoutPath(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDecodeFile+1))
	if err != nil {
		return nil, withoutPath(err)
	}
	if len(data) > maxDecodeFile {
		return nil, fmt.Errorf("file over %d MiB", maxDecodeFile>>20)
	}
	return data, nil
}

func decodePDF(data []byte) ([]decoder.Code, time.Duration, error) {
	start := time.Now()
	codes, err := decoder.DecodePDF(data, nil)
	return codes, time.Since(start), err
}

// decodeImage decodes an image file, or a PDF whose header comes after
// some bytes, as readers allow.
func decodeImage(data []byte) ([]decoder.Code, time.Duration, error) {
	// The size is checked before the pixels are read, so that a small
	// file claiming a huge image allocates nothing.
	img, format, err := imagefile.Read(bytes.NewReader(data), decoder.MaxPixels)
	if errors.Is(err, image.ErrFormat) && bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return decodePDF(data)
	}
	if errors.Is(err, image.ErrFormat) {
		return nil, 0, errors.New("not a PNG, JPEG, GIF, BMP, PGM, PPM or PDF file")
	}
	if err != nil {
		return nil, 0, formatError(format, err)
	}
	start := time.Now()
	codes, err := decoder.New(&decoder.Options{Multi: true, Budget: decodeBudget}).Decode(img)
	return codes, time.Since(start), err
}

// formatError says which format a decoding error is about, when the error
// does not: "png: unexpected EOF".
func formatError(format string, err error) error {
	if strings.HasPrefix(err.Error(), format+":") || errors.Is(err, imagefile.ErrTooLarge) {
		return err
	}
	return fmt.Errorf("%s: %w", format, err)
}

// writeDecodeHuman writes the lines of one file's result.
func writeDecodeHuman(w io.Writer, r decodeResult) error {
	var b bytes.Buffer
	for _, c := range r.Codes {
		if c.Page > 0 {
			fmt.Fprintf(&b, "%s  page %d  %s\n", r.File, c.Page, c.Text)
		} else {
			fmt.Fprintf(&b, "%s  %s\n", r.File, c.Text)
		}
	}
	switch {
	case r.Error != "":
		fmt.Fprintf(&b, "%s  error: %s\n", r.File, r.Error)
	case len(r.Codes) == 0:
		fmt.Fprintf(&b, "%s  no code found\n", r.File)
	}
	_, err := w.Write(b.Bytes())
	return err
}
