package source

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"log/slog"
	"testing"
	"time"

	"github.com/fuscan/fuscan/terminal"
)

// fuzzStream returns a multipart stream of parts delimited by "--"+delim.
func fuzzStream(delim string, parts ...[]byte) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", delim, len(p))
		b.Write(p)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", delim)
	return b.Bytes()
}

// FuzzMJPEG feeds arbitrary bytes to the multipart parser as a camera's
// response body: it must never panic, always end with an error (a stream
// that ends is one), and send only frames of a sane size, in sequence.
func FuzzMJPEG(f *testing.F) {
	files := testJPEGs(f)
	small := files["gray"]
	f.Add(fuzzStream("frame", small, files["color"]), "frame")
	f.Add(fuzzStream("--b", small, []byte("junk"), small), "--b")
	f.Add(fuzzStream("b", stripDHT(f, small)), "--b")
	f.Add(fuzzStream("b", small)[:100], "b")
	f.Add([]byte("--b\nContent-Length: 99999999999\n\n\xff\xd8\n--b--\n"), "b")
	f.Add([]byte("preamble\r\n--b\r\n\r\n\r\n--b--"), "b")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		if boundary == "" {
			return // boundaryParam refuses it before parts
		}
		s := &mjpegSource{shown: "fuzz", opts: resolve(&Options{Logger: slog.New(slog.DiscardHandler)})}
		frames := make(chan terminal.Frame)
		done := make(chan error, 1)
		go func() {
			done <- s.parts(context.Background(), &stallReader{r: bytes.NewReader(body)}, boundary, frames)
		}()
		var seq uint64
		for {
			select {
			case f := <-frames:
				seq++
				if f.Seq != seq {
					t.Errorf("got Seq %d, want %d", f.Seq, seq)
				}
				if b := f.Image.Bounds(); b.Empty() || b.Dx()*b.Dy() > maxFramePixels {
					t.Errorf("got a frame of %v, want 1 to %d pixels", b, maxFramePixels)
				}
			case err := <-done:
				if err == nil {
					t.Error("parts: got nil at the end of the body, want an error")
				}
				return
			}
		}
	})
}

// FuzzYUYV unpacks arbitrary bytes at arbitrary sizes: it must never panic,
// and an image it returns must hold the bytes given.
func FuzzYUYV(f *testing.F) {
	f.Add(yuyv(6, 4, 12), 6, 4, 12)
	f.Add(yuyv(8, 3, 20), 8, 3, 20)
	f.Add(make([]byte, 7), 4, 1, 8)
	f.Add([]byte{1, 2, 3, 4}, 2, 1, 3)
	f.Add([]byte{}, 1<<30, 1<<30, 1<<31)
	f.Fuzz(func(t *testing.T, src []byte, w, h, stride int) {
		img, err := unpack(src, w, h, stride)
		if err != nil {
			return
		}
		if img.Rect != image.Rect(0, 0, w, h) {
			t.Fatalf("got %v, want %d×%d", img.Rect, w, h)
		}
		for y := range h {
			for x := range w {
				p := src[y*stride+4*(x/2):]
				c := img.YCbCrAt(x, y)
				if c.Y != p[2*(x%2)] || c.Cb != p[1] || c.Cr != p[3] {
					t.Fatalf("pixel (%d, %d): got %v, want Y %d Cb %d Cr %d", x, y, c, p[2*(x%2)], p[1], p[3])
				}
			}
		}
	})
}

// FuzzDHT inserts the default tables into arbitrary bytes: it must never
// panic, change data only by inserting defaultDHT before its SOS marker,
// and change nothing that image/jpeg could decode already.
func FuzzDHT(f *testing.F) {
	for _, file := range testJPEGs(f) {
		f.Add(file)
		f.Add(stripDHT(f, file))
	}
	f.Add([]byte{0xff, 0xd8, 0xff, 0xff, 0xff, 0x01, 0xff, 0xda})
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		out := withDHT(nil, data)
		if len(out) != len(data) {
			i := bytes.Index(out, defaultDHT)
			if i < 0 || len(out) != len(data)+len(defaultDHT) || !bytes.Equal(append(bytes.Clone(out[:i]), out[i+len(defaultDHT):]...), data) ||
				!bytes.HasPrefix(out[i+len(defaultDHT):], []byte{0xff, markerSOS}) {
				t.Fatalf("withDHT changed %d bytes into %d otherwise than by inserting the tables before SOS", len(data), len(out))
			}
		}
		// Only what decodes cheaply is compared.
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > maxFramePixels {
			return
		}
		want, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		got, err := testConverter(t).decodeJPEG(time.Time{}, data)
		if err != nil {
			t.Fatalf("decodeJPEG: %v for what image/jpeg decodes", err)
		}
		if got.Bounds() != want.Bounds() {
			t.Fatalf("got %v, want %v", got.Bounds(), want.Bounds())
		}
	})
}

// FuzzJPEG decodes arbitrary bytes as a camera frame with the converter's
// decoder (libjpeg-turbo with cgo): it must never crash, and an image it
// returns must be of a sane size, the size image/jpeg sees when it too
// decodes the frame.
func FuzzJPEG(f *testing.F) {
	for _, file := range testJPEGs(f) {
		f.Add(file)
		f.Add(stripDHT(f, file))
		f.Add(file[:len(file)*2/3])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := testConverter(t).decodeJPEG(time.Time{}, data)
		if err != nil {
			return
		}
		if b := got.Bounds(); b.Empty() || b.Dx()*b.Dy() > maxFramePixels {
			t.Fatalf("got a frame of %v, want 1 to %d pixels", b, maxFramePixels)
		}
		if want, err := (goJPEG{}).decode(time.Time{}, withDHT(nil, data), nil); err == nil && want.Bounds() != got.Bounds() {
			t.Fatalf("got %v, image/jpeg %v", got.Bounds(), want.Bounds())
		}
	})
}
