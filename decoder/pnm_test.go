package decoder

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"
)

// pnmTests are the table of TestDecodePNM and the seeds of FuzzPNM.
var pnmTests = []struct {
	name string
	data string
	want []byte // the 8-bit samples, gray or R, G, B; nil: an error
}{
	{"P5 8-bit", "P5 3 2 255\n\x00\x80\xff\x01\x02\x03", []byte{0, 0x80, 0xff, 1, 2, 3}},
	{"P5 comments", "P5\n# made by hand\n2 # width\n1\n#maxval next\n255\n\x10\x20", []byte{0x10, 0x20}},
	{"P5 maxval 15", "P5 2 1 15\n\x00\x0f", []byte{0, 255}},
	{"P5 maxval 1", "P5 3 1 1\r\x00\x01\x00", []byte{0, 255, 0}},
	{"P5 16-bit", "P5 2 1 65535\n\x00\x00\xff\xff", []byte{0, 255}},
	{"P5 maxval 1000", "P5 2 1 1000\n\x01\xf4\x03\xe8", []byte{128, 255}},
	{"P5 trailing whitespace", "P5 1 1 255\n\x7f\n\n  ", []byte{0x7f}},
	{"P2", "P2\n# plain\n3 2\n255\n0 128 255\n1 2\t3\n", []byte{0, 128, 255, 1, 2, 3}},
	{"P2 no final newline", "P2 2 1 7 0 7", []byte{0, 255}},
	{"P6", "P6 2 1 255\n\xff\x00\x00\x00\x00\xff", []byte{255, 0, 0, 0, 0, 255}},
	{"P3", "P3 1 2 255\n255 0 0\n0 255 0", []byte{255, 0, 0, 0, 255, 0}},
	{"P6 16-bit", "P6 1 1 65535\n\xff\xff\x80\x00\x00\x00", []byte{255, 128, 0}},

	{"empty", "", nil},
	{"not pnm", "GIF89a", nil},
	{"P4 bitmap", "P4 8 1\n\x55", nil},
	{"P7", "P7\nWIDTH 1\n", nil},
	{"width 0", "P5 0 1 255\n", nil},
	{"height missing", "P5 1", nil},
	{"maxval 0", "P5 1 1 0\n\x00", nil},
	{"maxval too large", "P5 1 1 65536\n\x00\x00", nil},
	{"number too long", "P5 1234567890 1 255\n", nil},
	{"negative width", "P5 -1 1 255\n", nil},
	{"over MaxPixels", fmt.Sprintf("P5 %d 2 255\n", MaxPixels), nil},
	{"huge and short", "P5 7000 7000 255\n\x00", nil},
	{"no whitespace after maxval", "P5 1 1 255\x00", nil},
	{"sample over maxval", "P5 1 1 15\n\x10", nil},
	{"plain sample over maxval", "P2 1 1 15 16", nil},
	{"short raster", "P5 2 2 255\n\x00\x00\x00", nil},
	{"short 16-bit raster", "P5 1 1 65535\n\x00", nil},
	{"trailing garbage", "P5 1 1 255\n\x00x", nil},
	{"second image", "P5 1 1 255\n\x00P5 1 1 255\n\x00", nil},
	{"too much trailing whitespace", "P5 1 1 255\n\x00" + strings.Repeat(" ", pnmMaxTrailing+1), nil},
	{"plain letter", "P2 2 1 255 0 x", nil},
	{"plain comment in raster", "P2 2 1 255 0 # no\n 1", nil},
}

func TestDecodePNM(t *testing.T) {
	for _, tt := range pnmTests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := DecodePNM(strings.NewReader(tt.data))
			if tt.want == nil {
				if err == nil || !errors.Is(err, ErrPNM) {
					t.Fatalf("got %v, %v; want an ErrPNM", img, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := samplesOf(img); !bytes.Equal(got, tt.want) {
				t.Errorf("got samples %v, want %v", got, tt.want)
			}
			cfg, err := DecodePNMConfig(strings.NewReader(tt.data))
			if b := img.Bounds(); err != nil || cfg.Width != b.Dx() || cfg.Height != b.Dy() || cfg.ColorModel != img.ColorModel() {
				t.Errorf("config %+v, %v; want that of the %v %T", cfg, err, b, img)
			}
		})
	}
}

// samplesOf returns img's 8-bit gray, or R, G, B, samples.
func samplesOf(img image.Image) []byte {
	var out []byte
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch m := img.(type) {
			case *image.Gray:
				out = append(out, m.GrayAt(x, y).Y)
			default:
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				out = append(out, c.R, c.G, c.B)
			}
		}
	}
	return out
}

// TestPNMRegistered decodes a PGM of a code through image.Decode.
func TestPNMRegistered(t *testing.T) {
	gray := codeImage(t, sample, 4)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "P5\n# fuscan test\n%d %d\n255\n", gray.Rect.Dx(), gray.Rect.Dy())
	buf.Write(gray.Pix)
	img, format, err := image.Decode(&buf)
	if err != nil || format != "pgm" {
		t.Fatalf("image.Decode: %v, format %q; want pgm", err, format)
	}
	codes, err := New(nil).Decode(img)
	if err != nil || len(codes) != 1 || codes[0].Text != sample {
		t.Errorf("got %+v, %v; want the sample", codes, err)
	}
}

func FuzzPNM(f *testing.F) {
	for _, tt := range pnmTests {
		if len(tt.data) < 1<<10 {
			f.Add([]byte(tt.data))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodePNM(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrPNM) {
				t.Fatalf("error %v does not wrap ErrPNM", err)
			}
			return
		}
		b := img.Bounds()
		if b.Dx()*b.Dy() > MaxPixels || b.Empty() {
			t.Fatalf("bounds %v", b)
		}
		cfg, err := DecodePNMConfig(bytes.NewReader(data))
		if err != nil || cfg.Width != b.Dx() || cfg.Height != b.Dy() {
			t.Fatalf("config %+v, %v for an image of %v", cfg, err, b)
		}
	})
}
