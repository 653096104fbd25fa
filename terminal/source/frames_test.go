package source

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// yuyv packs a w×h test pattern as YUYV rows of stride bytes, padding
// with 0xee: Y is x+16·y, Cb is 100+pair, Cr is 200-pair-y.
func yuyv(w, h, stride int) []byte {
	src := bytes.Repeat([]byte{0xee}, stride*h)
	for y := range h {
		for x := 0; x < w; x += 2 {
			p := src[y*stride+2*x:]
			p[0], p[1], p[2], p[3] = byte(x+16*y), byte(100+x/2), byte(x+1+16*y), byte(200-x/2-y)
		}
	}
	return src
}

// unpack unpacks a YUYV frame into a new image.
func unpack(src []byte, w, h, stride int) (*image.YCbCr, error) {
	if err := checkYUYV(len(src), w, h, stride); err != nil {
		return nil, err
	}
	img := yuyvPlanes(w, h).alloc().(*image.YCbCr)
	unpackYUYV(img, src, stride)
	return img, nil
}

// testConverter returns a converter closed when t ends. The tests give
// it frames of no time, which its ring never fills again.
func testConverter(t testing.TB) *converter {
	c := newConverter()
	t.Cleanup(c.close)
	return c
}

func TestUnpackYUYV(t *testing.T) {
	for _, tc := range []struct{ w, h, stride int }{{2, 1, 4}, {6, 4, 12}, {8, 3, 20}, {1290, 2, 2600}} {
		img, err := unpack(yuyv(tc.w, tc.h, tc.stride), tc.w, tc.h, tc.stride)
		if err != nil {
			t.Fatalf("%d×%d stride %d: %v", tc.w, tc.h, tc.stride, err)
		}
		if img.SubsampleRatio != image.YCbCrSubsampleRatio422 || img.Rect != image.Rect(0, 0, tc.w, tc.h) {
			t.Errorf("got %v %v, want 4:2:2 at %v", img.SubsampleRatio, img.Rect, image.Rect(0, 0, tc.w, tc.h))
		}
		for y := range tc.h {
			for x := range tc.w {
				want := color.YCbCr{Y: byte(x + 16*y), Cb: byte(100 + x/2), Cr: byte(200 - x/2 - y)}
				if got := img.YCbCrAt(x, y); got != want {
					t.Errorf("%d×%d stride %d: pixel (%d, %d): got %v, want %v", tc.w, tc.h, tc.stride, x, y, got, want)
				}
			}
		}
	}
}

// TestUnpackYUYVOwns checks that an image does not share its pixels with
// the camera's buffer, which the driver overwrites.
func TestUnpackYUYVOwns(t *testing.T) {
	src := yuyv(4, 2, 8)
	img, err := unpack(src, 4, 2, 8)
	if err != nil {
		t.Fatal(err)
	}
	clear(src)
	if got := img.YCbCrAt(3, 1); got != (color.YCbCr{Y: 19, Cb: 101, Cr: 198}) {
		t.Errorf("after clearing the buffer: got %v, want the pixel unchanged", got)
	}
}

func TestUnpackYUYVErrors(t *testing.T) {
	for _, tc := range []struct {
		n, w, h, stride int
		want            string
	}{
		{8, 3, 1, 8, "even width"},
		{8, 0, 1, 8, "even width"},
		{8, 4, 0, 8, "even width"},
		{8, 4, 1, 6, "stride 6"},
		{15, 4, 2, 8, "15 bytes"},
		{7, 4, 1, 8, "7 bytes"},
		{64, 4, 3, 1 << 62, "rows 4611686018427387904 bytes apart"},
		{1 << 10, 1 << 13, 1 << 12, 1 << 14, "1 to 16777216 pixels"},
	} {
		err := checkYUYV(tc.n, tc.w, tc.h, tc.stride)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d bytes as %d×%d stride %d: got %v, want an error containing %q", tc.n, tc.w, tc.h, tc.stride, err, tc.want)
		}
	}
}

func TestConvert(t *testing.T) {
	c := testConverter(t)
	// Rows padded to 16 bytes, as some drivers pad them.
	img, err := c.convert(time.Time{}, pixYUYV, image.Pt(6, 2), yuyv(6, 2, 16))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := img.(*image.YCbCr).YCbCrAt(5, 1), (color.YCbCr{Y: 21, Cb: 102, Cr: 197}); got != want {
		t.Errorf("padded rows: pixel (5, 1): got %v, want %v", got, want)
	}
	if _, err := c.convert(time.Time{}, pixYUYV, image.Pt(6, 2), make([]byte, 25)); err == nil {
		t.Error("25 bytes as 2 rows: got no error")
	}
	files := testJPEGs(t)
	img, err = c.convert(time.Time{}, pixMJPEG, image.Pt(64, 48), files["color"])
	if err != nil || img.Bounds() != image.Rect(0, 0, 64, 48) {
		t.Errorf("MJPEG: got %v, %v; want a 64×48 image", img.Bounds(), err)
	}
}

// testJPEGs returns JPEG files, colour (4:2:0) and gray, as image/jpeg
// writes them: with Annex K's tables, which withDHT inserts.
func testJPEGs(t testing.TB) map[string][]byte {
	t.Helper()
	rgba := image.NewRGBA(image.Rect(0, 0, 64, 48))
	gray := image.NewGray(image.Rect(0, 0, 33, 17))
	for y := range 48 {
		for x := range 64 {
			rgba.Set(x, y, color.RGBA{byte(4 * x), byte(5 * y), byte(x * y), 0xff})
			gray.SetGray(x%33, y%17, color.Gray{byte(7*x + 3*y)})
		}
	}
	files := map[string][]byte{}
	for name, img := range map[string]image.Image{"color": rgba, "gray": gray} {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 75}); err != nil {
			t.Fatal(err)
		}
		files[name] = b.Bytes()
	}
	return files
}

// stripDHT returns data without its DHT segments, as cameras send MJPEG.
func stripDHT(t testing.TB, data []byte) []byte {
	t.Helper()
	var out []byte
	i := 2
	out = append(out, data[:2]...)
	for i+4 <= len(data) && data[i] == 0xff && data[i+1] != markerSOS {
		n := 2 + (int(data[i+2])<<8 | int(data[i+3]))
		if data[i+1] != markerDHT {
			out = append(out, data[i:i+n]...)
		}
		i += n
	}
	if len(out) == i {
		t.Fatal("no DHT segment to strip")
	}
	return append(out, data[i:]...)
}

func TestWithDHT(t *testing.T) {
	for name, file := range testJPEGs(t) {
		t.Run(name, func(t *testing.T) {
			stripped := stripDHT(t, file)
			if _, err := jpeg.Decode(bytes.NewReader(stripped)); err == nil {
				t.Fatal("image/jpeg decodes a file without tables: the test proves nothing")
			}
			c := testConverter(t)
			want, err := c.decodeJPEG(time.Time{}, file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.decodeJPEG(time.Time{}, stripped)
			if err != nil {
				t.Fatalf("decodeJPEG without tables: %v", err)
			}
			if fmt.Sprintf("%T %v", got, got.Bounds()) != fmt.Sprintf("%T %v", want, want.Bounds()) {
				t.Fatalf("got %T %v, want %T %v", got, got.Bounds(), want, want.Bounds())
			}
			for y := range want.Bounds().Dy() {
				for x := range want.Bounds().Dx() {
					if got.At(x, y) != want.At(x, y) {
						t.Fatalf("pixel (%d, %d): got %v, want %v as decoded with the file's own tables", x, y, got.At(x, y), want.At(x, y))
					}
				}
			}
			if out := withDHT(nil, file); &out[0] != &file[0] || len(out) != len(file) {
				t.Error("a file with tables was changed")
			}
		})
	}
}

func TestWithDHTLeavesOthers(t *testing.T) {
	file := testJPEGs(t)["gray"]
	stripped := stripDHT(t, file)
	for name, data := range map[string][]byte{
		"empty":          nil,
		"no SOI":         []byte("GIF89a"),
		"truncated":      stripped[:30],
		"bad length":     {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0xff, 0xda},
		"EOI before SOS": {0xff, 0xd8, 0xff, 0xd9, 0xff, 0xda},
	} {
		if out := withDHT(nil, data); !bytes.Equal(out, data) {
			t.Errorf("%s: got %d bytes, want the input's %d unchanged", name, len(out), len(data))
		}
	}
	// Fill bytes are walked over.
	filled := append([]byte{0xff, 0xd8, 0xff, 0xff}, stripped[2:]...)
	if img, err := testConverter(t).decodeJPEG(time.Time{}, filled); err != nil || img.Bounds().Dx() != 33 {
		t.Errorf("with fill bytes: got %v, want the 33 pixel wide image", err)
	}
	// So are markers without a length (which image/jpeg refuses here).
	tem := append([]byte{0xff, 0xd8, 0xff, markerTEM, 0xff, markerRST + 3}, stripped[2:]...)
	if out := withDHT(nil, tem); len(out) != len(tem)+len(defaultDHT) {
		t.Errorf("with TEM and RST3: got %d bytes, want the tables inserted in the %d", len(out), len(tem))
	}
}

func TestDecodeJPEGTooLarge(t *testing.T) {
	file := bytes.Clone(testJPEGs(t)["gray"])
	// Claim 65535×65535 pixels in the SOF0 segment.
	sof := bytes.Index(file, []byte{0xff, 0xc0})
	copy(file[sof+5:], []byte{0xff, 0xff, 0xff, 0xff})
	for _, d := range []jpegDecoder{newJPEGDecoder(), goJPEG{}} {
		if _, err := d.decode(time.Time{}, file, &testConverter(t).ring); err == nil || !strings.Contains(err.Error(), "65535×65535") {
			t.Errorf("%s: got %v, want an error about 65535×65535 pixels", d.name(), err)
		}
		d.close()
	}
}

func TestPickFormat(t *testing.T) {
	fixed := func(w, h uint32) frameSize { return frameSize{minW: w, maxW: w, minH: h, maxH: h} }
	usual := []frameSize{fixed(640, 480), fixed(1280, 720), fixed(1920, 1080), fixed(320, 240)}
	stepwise := frameSize{minW: 160, maxW: 2592, stepW: 16, minH: 120, maxH: 1944, stepH: 8}
	for _, tc := range []struct {
		name   string
		sizes  map[uint32][]frameSize
		want   image.Point
		format uint32
		size   image.Point
	}{
		{"720p prefers MJPEG", map[uint32][]frameSize{pixYUYV: usual, pixMJPEG: usual}, image.Pt(1280, 720), pixMJPEG, image.Pt(1280, 720)},
		{"VGA prefers YUYV", map[uint32][]frameSize{pixYUYV: usual, pixMJPEG: usual}, image.Pt(640, 480), pixYUYV, image.Pt(640, 480)},
		{"720p on a YUYV camera", map[uint32][]frameSize{pixYUYV: usual}, image.Pt(1280, 720), pixYUYV, image.Pt(1280, 720)},
		{"VGA on an MJPEG camera", map[uint32][]frameSize{pixMJPEG: usual}, image.Pt(640, 480), pixMJPEG, image.Pt(640, 480)},
		{"nearest", map[uint32][]frameSize{pixMJPEG: usual}, image.Pt(1024, 768), pixMJPEG, image.Pt(1280, 720)},
		{"beyond the largest", map[uint32][]frameSize{pixMJPEG: usual}, image.Pt(4096, 2160), pixMJPEG, image.Pt(1920, 1080)},
		{"below the smallest", map[uint32][]frameSize{pixYUYV: usual}, image.Pt(16, 16), pixYUYV, image.Pt(320, 240)},
		{"equally near: larger", map[uint32][]frameSize{pixYUYV: {fixed(600, 400), fixed(700, 500)}}, image.Pt(650, 450), pixYUYV, image.Pt(700, 500)},
		{"stepwise", map[uint32][]frameSize{pixYUYV: {stepwise}}, image.Pt(1000, 700), pixYUYV, image.Pt(1008, 704)},
		{"stepwise clamped", map[uint32][]frameSize{pixMJPEG: {stepwise}}, image.Pt(4000, 3000), pixMJPEG, image.Pt(2592, 1944)},
		{"sizes not listed", map[uint32][]frameSize{pixMJPEG: nil}, image.Pt(1280, 720), pixMJPEG, image.Pt(1280, 720)},
		{"unusable sizes only", map[uint32][]frameSize{pixMJPEG: {{}}}, image.Pt(1280, 720), pixMJPEG, image.Pt(1280, 720)},
	} {
		f, size, err := pickFormat(tc.sizes, tc.want)
		if err != nil || f != tc.format || size != tc.size {
			t.Errorf("%s: got %s %v %v, want %s %v", tc.name, fourcc(f), size, err, fourcc(tc.format), tc.size)
		}
	}
	if _, _, err := pickFormat(map[uint32][]frameSize{}, image.Pt(640, 480)); err == nil || !strings.Contains(err.Error(), "neither MJPEG nor YUYV") {
		t.Errorf("no format: got %v, want an error naming MJPEG and YUYV", err)
	}
}

func TestSkipLog(t *testing.T) {
	var b bytes.Buffer
	l := &skipLog{log: slog.New(slog.NewTextHandler(&b, nil)), msg: "skipping"}
	for range 2*skipEvery + 1 {
		l.skip(errors.New("bad"))
	}
	if got := strings.Count(b.String(), "skipping"); got != 3 {
		t.Errorf("after %d skips: got %d log lines, want 3:\n%s", 2*skipEvery+1, got, b.String())
	}
	if !strings.Contains(b.String(), fmt.Sprintf("skipped=%d ", 2*skipEvery+1)) {
		t.Errorf("log: got %q, want the count of skips in the last line", b.String())
	}
}

func TestFourcc(t *testing.T) {
	if fourcc(pixMJPEG) != "MJPG" || fourcc(pixYUYV) != "YUYV" {
		t.Errorf("got %q and %q, want MJPG and YUYV", fourcc(pixMJPEG), fourcc(pixYUYV))
	}
}
