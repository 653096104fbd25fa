package imagefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/decoder"
	"github.com/fuscan/fuscan/decoder/internal/pngtest"
)

// lumaOver is the reference luma of a pixel: what the decoder makes of any
// image, its color.RGBA composited over white, then BT.601 in 8 bits.
func lumaOver(c color.Color) uint8 {
	r, g, b, a := c.RGBA()
	t := 0xffff - a
	r, g, b = (r+t)>>8, (g+t)>>8, (b+t)>>8
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
}

// checkLuma fails unless got is want's luma over white, pixel by pixel.
func checkLuma(t *testing.T, got image.Image, want image.Image) {
	t.Helper()
	g, ok := got.(*image.Gray)
	if !ok {
		t.Fatalf("got a %T, want an *image.Gray", got)
	}
	if g.Bounds() != want.Bounds() {
		t.Fatalf("got %v, want %v", g.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if gv, wv := g.GrayAt(x, y).Y, lumaOver(want.At(x, y)); gv != wv {
				t.Fatalf("pixel %d,%d: got %d, want %d", x, y, gv, wv)
			}
		}
	}
}

// TestReadPNG16 reads 16-bit PNGs of every colour type, interlaced or not,
// with a transparent colour or not, every row filter, and odd sizes for
// Adam7's passes, and checks them against image/png's reading.
func TestReadPNG16(t *testing.T) {
	for _, channels := range []int{1, 2, 3, 4} {
		for _, interlaced := range []bool{false, true} {
			for _, size := range []image.Point{{1, 1}, {3, 7}, {37, 29}} {
				var trns []uint16
				if channels == 1 || channels == 3 {
					trns = []uint16{0x1234, 0x1234, 0x1234}[:channels]
				}
				name := fmt.Sprintf("%dch/interlaced=%v/%dx%d", channels, interlaced, size.X, size.Y)
				t.Run(name, func(t *testing.T) {
					var buf bytes.Buffer
					err := pngtest.Write(&buf, pngtest.PNG{Width: size.X, Height: size.Y, Channels: channels,
						Interlaced: interlaced, Transparent: trns, Pixel: func(x, y int, s []uint16) {
							for i := range s {
								s[i] = uint16((x*7919 + y*104729 + i*31337) * 2654435761 >> 7)
							}
							if x%5 == 0 && trns != nil {
								copy(s, trns) // transparent
							}
						}})
					if err != nil {
						t.Fatal(err)
					}
					want, err := png.Decode(bytes.NewReader(buf.Bytes()))
					if err != nil {
						t.Fatalf("image/png: %v", err)
					}
					got, format, err := Read(bytes.NewReader(buf.Bytes()), 0)
					if err != nil || format != "png" {
						t.Fatalf("Read: %v, format %q", err, format)
					}
					checkLuma(t, got, want)
				})
			}
		}
	}
}

// TestReadPNGSuite reads the 16-bit images of PngSuite (testdata: basic
// and transparent ones, from Go's image/png tests).
func TestReadPNGSuite(t *testing.T) {
	files, err := filepath.Glob("testdata/*.png")
	if err != nil || len(files) < 6 {
		t.Fatalf("testdata: %d files, %v", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := Read(bytes.NewReader(data), 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		checkLuma(t, got, want)
	}
}

// TestReadOther reads 8-bit files as image.Decode does, colour kept.
func TestReadOther(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	src.Set(1, 1, color.NRGBA{200, 30, 40, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	img, format, err := Read(bytes.NewReader(buf.Bytes()), 0)
	if err != nil || format != "png" {
		t.Fatalf("got %v, %q", err, format)
	}
	if got := color.NRGBAModel.Convert(img.At(1, 1)); got != (color.NRGBA{200, 30, 40, 255}) {
		t.Errorf("pixel 1,1: got %v, want the red kept", got)
	}
	if _, _, err := Read(strings.NewReader("not an image"), 0); !errors.Is(err, image.ErrFormat) {
		t.Errorf("text: got %v, want image.ErrFormat", err)
	}
}

// TestReadBounds refuses images over the bound before allocating them,
// and damaged 16-bit files.
func TestReadBounds(t *testing.T) {
	// A 16-bit header claiming 30000×30000 pixels, and no data.
	ihdr := make([]byte, 4+4+13)
	copy(ihdr, "\x00\x00\x00\x0dIHDR")
	binary.BigEndian.PutUint32(ihdr[8:], 30000)
	binary.BigEndian.PutUint32(ihdr[12:], 30000)
	ihdr[16], ihdr[17] = 16, 6
	header := append([]byte("\x89PNG\r\n\x1a\n"), ihdr...)
	header = binary.BigEndian.AppendUint32(header, crc32.ChecksumIEEE(ihdr[4:]))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := Read(bytes.NewReader(header), 0)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "30000×30000") {
		t.Errorf("30000×30000: got %v, want ErrTooLarge", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing it allocated %d bytes", n)
	}

	write := func(filter func(int) byte) []byte {
		var buf bytes.Buffer
		err := pngtest.Write(&buf, pngtest.PNG{Width: 20, Height: 20, Channels: 3, Filter: filter, Pixel: func(x, y int, s []uint16) {
			s[0], s[1], s[2] = uint16(x*3000), uint16(y*3000), 0
		}})
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	good := write(nil)
	if _, _, err := Read(bytes.NewReader(good), 399); !errors.Is(err, ErrTooLarge) {
		t.Errorf("400 pixels over a bound of 399: got %v, want ErrTooLarge", err)
	}
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x40; return b }
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"signature only", good[:8], "unexpected EOF"},
		{"no data", good[:8+25], "unexpected EOF"},
		{"truncated", good[:len(good)/2], "png: unexpected EOF"},
		{"zlib stream", flip(8 + 25 + 8 + 3), "flate: corrupt input"},
		{"IDAT checksum", flip(len(good) - 12 - 2), "invalid checksum"},
		{"IHDR checksum", flip(8 + 8 + 13), "invalid checksum"},
		{"filter type 9", write(func(y int) byte { return byte(9 * (y / 10)) }), "bad filter type 9"},
	} {
		if _, _, err := Read(bytes.NewReader(tt.data), 0); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}

// TestMaxPixels keeps the bound the decoder's: an image Read accepts, Decode
// takes.
func TestMaxPixels(t *testing.T) {
	if MaxPixels != decoder.MaxPixels {
		t.Errorf("MaxPixels %d, decoder.MaxPixels %d: want them equal", MaxPixels, decoder.MaxPixels)
	}
}

func ExampleRead() {
	// A 16-bit PNG of 3×2 pixels, black, gray and white.
	src := image.NewRGBA64(image.Rect(0, 0, 3, 2))
	for x, v := range []uint16{0, 0x7fff, 0xffff} {
		src.SetRGBA64(x, 0, color.RGBA64{v, v, v, 0xffff})
		src.SetRGBA64(x, 1, color.RGBA64{v, v, v, 0xffff})
	}
	var file bytes.Buffer
	if err := png.Encode(&file, src); err != nil {
		log.Fatal(err)
	}
	img, format, err := Read(bytes.NewReader(file.Bytes()), 0)
	if err != nil {
		log.Fatal(err)
	}
	gray := img.(*image.Gray)
	fmt.Println(format, gray.Rect.Dx(), gray.Rect.Dy(), gray.Pix[:3])
	// Output: png 3 2 [0 127 255]
}
