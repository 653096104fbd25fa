package source

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder"
)

// cameraFrame returns a 1280×720 camera-like frame as a camera's MJPEG
// (4:2:2, quality 80, 170 KB; written by libjpeg-turbo from dense720
// sample 12, sensor noise and all, with a warm cast), and the text of the
// code it shows.
func cameraFrame(t testing.TB) ([]byte, string) {
	t.Helper()
	data, err := os.ReadFile("testdata/frame-720p-422.jpg")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("testdata/frame-720p-422.txt")
	if err != nil {
		t.Fatal(err)
	}
	return data, strings.TrimSpace(string(text))
}

// reencode returns img as image/jpeg writes it: 4:2:0 for colour.
func reencode(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// samePixels reports whether a and b are the same YCbCr or gray image,
// their samples a level apart at most: libjpeg-turbo's inverse DCT rounds
// a sample in a few hundred otherwise than image/jpeg's.
func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	near := func(u, v uint8) bool { return u-v <= 1 || v-u <= 1 }
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			switch a := a.(type) {
			case *image.YCbCr:
				b, ok := b.(*image.YCbCr)
				if !ok || a.SubsampleRatio != b.SubsampleRatio {
					return false
				}
				p, q := a.YCbCrAt(x, y), b.YCbCrAt(x, y)
				if !near(p.Y, q.Y) || !near(p.Cb, q.Cb) || !near(p.Cr, q.Cr) {
					return false
				}
			case *image.Gray:
				b, ok := b.(*image.Gray)
				if !ok || !near(a.GrayAt(x, y).Y, b.GrayAt(x, y).Y) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

// TestJPEGDecoders decodes camera frames with newJPEGDecoder's decoder
// (libjpeg-turbo with cgo) and with image/jpeg, and wants the same images:
// the same type and subsampling, each sample a level apart at most.
func TestJPEGDecoders(t *testing.T) {
	frame, text := cameraFrame(t)
	want422, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		t.Fatal(err)
	}
	odd := image.NewRGBA(image.Rect(0, 0, 65, 49)) // planes padded to whole blocks
	for i := range odd.Pix {
		odd.Pix[i] = byte(i * 13)
	}
	files := testJPEGs(t)
	for _, tc := range []struct {
		name  string
		data  []byte
		ratio image.YCbCrSubsampleRatio
	}{
		{"720p 4:2:2", frame, image.YCbCrSubsampleRatio422},
		{"720p 4:2:0", reencode(t, want422), image.YCbCrSubsampleRatio420},
		{"odd 4:2:0", reencode(t, odd), image.YCbCrSubsampleRatio420},
		{"small 4:2:0", files["color"], image.YCbCrSubsampleRatio420},
		{"gray", files["gray"], -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConverter(t)
			got, err := c.decodeJPEG(time.Time{}, tc.data)
			if err != nil {
				t.Fatalf("%s: %v", c.jpeg.name(), err)
			}
			want, err := goJPEG{}.decode(time.Time{}, tc.data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := got.(*image.YCbCr); ok && m.SubsampleRatio != tc.ratio || !ok && tc.ratio >= 0 {
				t.Errorf("%s: got %T, want %v", c.jpeg.name(), got, tc.ratio)
			}
			if !samePixels(got, want) {
				t.Errorf("%s: the image differs from image/jpeg's", c.jpeg.name())
			}
			if tc.name != "720p 4:2:2" {
				return
			}
			codes, err := decoder.New(nil).Decode(got)
			if err != nil || len(codes) != 1 || codes[0].Text != text {
				t.Errorf("decoded %v, %v; want the frame's code", codes, err)
			}
		})
	}
}

// TestJPEGDamaged: a frame cut short is refused by both decoders, as a
// damaged frame; bytes between segments are skipped by both, as libjpeg
// and image/jpeg always have.
func TestJPEGDamaged(t *testing.T) {
	frame, _ := cameraFrame(t)
	eoi := len(frame) - 2
	extra := append(append(bytes.Clone(frame[:eoi]), 0x12, 0x34, 0x56), frame[eoi:]...)
	for _, d := range []jpegDecoder{newJPEGDecoder(), goJPEG{}} {
		r := &ring{}
		if img, err := d.decode(time.Time{}, frame[:len(frame)/2], r); err == nil {
			t.Errorf("%s: half a frame: got a %v image, want an error", d.name(), img.Bounds())
		}
		if _, err := d.decode(time.Time{}, extra, r); err != nil {
			t.Errorf("%s: bytes before EOI: %v", d.name(), err)
		}
		d.close()
	}
}

// TestRing: an image is filled again only once its frame was released,
// or at once when it was not sent; a ring keeps ringSize images at most.
func TestRing(t *testing.T) {
	p := yuyvPlanes(4, 2)
	var r ring
	a, b, c := r.image(p), r.image(p), r.image(p)
	if a == b || b == c || a == c {
		t.Fatal("three frames not released share an image")
	}
	f := r.frame(a, time.Time{}, 1)
	f.Release()
	f.Release() // twice is harmless
	if d := r.image(p); d != a {
		t.Error("the released image not filled again")
	}
	if e := r.image(yuyvPlanes(6, 2)); e == b || e == c {
		t.Error("an image of another size filled")
	}
	// Nothing released: a new image each frame, the ring keeping ringSize.
	seen := map[image.Image]bool{}
	for i := range 3 * ringSize {
		img := r.image(p)
		if seen[img] {
			t.Fatalf("frame %d: an image not released filled again", i)
		}
		seen[img] = true
	}
	if len(r.slots) != ringSize {
		t.Errorf("the ring holds %d images, want %d", len(r.slots), ringSize)
	}
	r.release(b)
	if again := r.image(p); again != b {
		t.Error("an image released was not filled again")
	}
}

// TestConvertAllocates nothing: a camera's frames at 30 a second, once its
// ring holds enough images, YUYV, and MJPEG through libjpeg-turbo.
func TestConvertAllocates(t *testing.T) {
	frame, _ := cameraFrame(t)
	packed := yuyv(640, 480, 1280)
	for _, tc := range []struct {
		name   string
		format uint32
		size   image.Point
		buf    []byte
	}{
		{"YUYV", pixYUYV, image.Pt(640, 480), packed},
		{"MJPEG", pixMJPEG, image.Pt(1280, 720), stripDHT(t, frame)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConverter(t)
			if tc.format == pixMJPEG && c.jpeg.name() != "libjpeg-turbo" {
				t.Skipf("%s allocates every frame", c.jpeg.name())
			}
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			convert := func() {
				at = at.Add(time.Second / 30)
				img, err := c.convert(at, tc.format, tc.size, tc.buf)
				if err != nil {
					t.Fatal(err)
				}
				c.ring.release(img) // as the pipeline does once it has decoded the frame
			}
			for range ringSize {
				convert()
			}
			if n := testing.AllocsPerRun(20, convert); n != 0 {
				t.Errorf("%v allocations a frame, want 0", n)
			}
		})
	}
}

// BenchmarkJPEG decodes a 1280×720 camera frame (MJPEG without tables,
// 4:2:2, and re-encoded 4:2:0) into the image the decoder reads: with
// libjpeg-turbo, what the terminal does (with cgo), and with image/jpeg,
// the fallback.
func BenchmarkJPEG(b *testing.B) {
	frame, _ := cameraFrame(b)
	img, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []jpegDecoder{newJPEGDecoder(), goJPEG{}} {
		for _, f := range []struct {
			name string
			data []byte
		}{{"422", stripDHT(b, frame)}, {"420", stripDHT(b, reencode(b, img))}} {
			b.Run(d.name()+"/"+f.name, func(b *testing.B) {
				c := &converter{jpeg: d}
				benchConvert(b, func(at time.Time) error {
					img, err := c.decodeJPEG(at, f.data)
					if err == nil {
						c.ring.release(img)
					}
					return err
				})
			})
		}
		d.close()
	}
}

// BenchmarkYUYV unpacks 1280×720 YUYV frames into the ring's images.
func BenchmarkYUYV(b *testing.B) {
	packed := yuyv(1280, 720, 2560)
	c := testConverter(b)
	benchConvert(b, func(at time.Time) error {
		img, err := c.convert(at, pixYUYV, image.Pt(1280, 720), packed)
		if err == nil {
			c.ring.release(img)
		}
		return err
	})
}

// benchConvert runs convert for frames 30 a second apart, once the ring
// is full, and reports the milliseconds a frame.
func benchConvert(b *testing.B, convert func(time.Time) error) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	next := func() {
		at = at.Add(time.Second / 30)
		if err := convert(at); err != nil {
			b.Fatal(err)
		}
	}
	for range ringSize {
		next()
	}
	b.ReportAllocs()
	for b.Loop() {
		next()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
}
