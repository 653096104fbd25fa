package source_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder"
	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/sample"
	"github.com/fuscan/fuscan/terminal/source"
)

// sceneJPEGs returns frames t of the demo scene at 640×480, as JPEG files,
// and the code text each shows.
func sceneJPEGs(t testing.TB, ts ...int) (files [][]byte, texts []string) {
	t.Helper()
	seq := scene.Sequence(1, image.Pt(640, 480), sample.Texts())
	for _, i := range ts {
		s := seq(i)
		var b bytes.Buffer
		if err := jpeg.Encode(&b, s.Image, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		files, texts = append(files, b.Bytes()), append(texts, s.Text)
	}
	return files, texts
}

// stream writes a multipart stream whose delimiter lines are "--"+delim,
// with CR LF or, with lf, bare LF line ends, and parts with a
// Content-Length unless noLength.
type stream struct {
	delim        string
	lf, noLength bool
}

func (s stream) nl() string {
	if s.lf {
		return "\n"
	}
	return "\r\n"
}

// write writes each of parts as a JPEG part, flushing after each.
func (s stream) write(w http.ResponseWriter, parts ...[]byte) {
	nl := s.nl()
	for _, p := range parts {
		fmt.Fprintf(w, "--%s%sContent-Type: image/jpeg%s", s.delim, nl, nl)
		if !s.noLength {
			fmt.Fprintf(w, "Content-Length: %d%s", len(p), nl)
		}
		fmt.Fprint(w, nl)
		w.Write(p)
		fmt.Fprint(w, nl)
		w.(http.Flusher).Flush()
	}
}

// end writes the final delimiter.
func (s stream) end(w http.ResponseWriter) { fmt.Fprintf(w, "--%s--%s", s.delim, s.nl()) }

// writeParts writes parts as a CR LF stream delimited by "--"+delim.
func writeParts(w http.ResponseWriter, delim string, parts ...[]byte) {
	stream{delim: delim}.write(w, parts...)
}

// camera serves h on 127.0.0.1 and returns the mjpeg: URL of its /video.
func camera(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return "mjpeg:" + srv.URL + "/video"
}

// runCamera opens url and runs it until it returns or want frames arrived.
func runCamera(t *testing.T, url string, want int) ([]terminal.Frame, error, string) {
	t.Helper()
	var log bytes.Buffer
	s, err := source.Open(url, options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := collect(t, s, want)
	return frames, err, log.String()
}

func TestMJPEG(t *testing.T) {
	// Frame 90 shows the first visitor's code held still; 0 and 10 none.
	files, texts := sceneJPEGs(t, 0, 90, 10)
	if texts[1] == "" {
		t.Fatal("scene frame 90 shows no code")
	}
	for _, tc := range []struct {
		name, contentType string
		stream            stream
	}{
		{"plain", "multipart/x-mixed-replace; boundary=frame", stream{delim: "frame"}},
		{"quoted", `multipart/x-mixed-replace;boundary="my frame"`, stream{delim: "my frame"}},
		{"dashes in header only", "multipart/x-mixed-replace; boundary=--myboundary", stream{delim: "myboundary"}},
		{"dashes in both", "multipart/x-mixed-replace; boundary=--myboundary", stream{delim: "--myboundary"}},
		{"bare LF", "multipart/x-mixed-replace; boundary=frame", stream{delim: "frame", lf: true}},
		{"no Content-Length", "multipart/x-mixed-replace; boundary=frame", stream{delim: "frame", noLength: true}},
		{"multipart/mixed", "multipart/mixed; boundary=frame", stream{delim: "frame"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var query, user, pass string
			url := camera(t, func(w http.ResponseWriter, r *http.Request) {
				query = r.URL.RawQuery
				user, pass, _ = r.BasicAuth()
				w.Header().Set("Content-Type", tc.contentType)
				// A preamble, which parsers must skip.
				fmt.Fprint(w, "\r\n")
				tc.stream.write(w, files...)
				tc.stream.end(w)
			})
			url = strings.Replace(url, "http://", "http://admin:secret@", 1) + "?resolution=640x480&fps=5"
			frames, err, log := runCamera(t, url, -1)
			if err == nil || !strings.Contains(err.Error(), "stream ended after 3 frames") {
				t.Errorf("Run: got %v, want an error saying the stream ended after 3 frames", err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("Run: got %q, want the password left out", err)
			}
			if query != "resolution=640x480&fps=5" || user != "admin" || pass != "secret" {
				t.Errorf("camera saw query %q and user %q:%q, want the URL's own", query, user, pass)
			}
			if len(frames) != len(files) {
				t.Fatalf("got %d frames, want %d; log:\n%s", len(frames), len(files), log)
			}
			for i, f := range frames {
				want, err := jpeg.Decode(bytes.NewReader(files[i]))
				if err != nil {
					t.Fatal(err)
				}
				if !source.SamePixels(f.Image, want) {
					t.Errorf("frame %d: pixels differ from the JPEG served", i)
				}
				if f.Seq != uint64(i+1) || !f.At.Equal(epoch.Add(time.Duration(i+1)*time.Second)) {
					t.Errorf("frame %d: got Seq %d At %v, want %d and the test clock's %d", i, f.Seq, f.At, i+1, i+1)
				}
			}
			codes, err := decoder.New(nil).Decode(frames[1].Image)
			if err != nil || len(codes) == 0 || codes[0].Text != texts[1] {
				t.Errorf("frame 1: decoded %v, %v; want %q", codes, err, texts[1])
			}
		})
	}
}

// TestMJPEGSkipsGarbage checks that parts that are no JPEG are skipped
// with one log line, and the stream read on.
func TestMJPEGSkipsGarbage(t *testing.T) {
	files, _ := sceneJPEGs(t, 0)
	garbage := [][]byte{[]byte("not a jpeg"), files[0][:len(files[0])/3], {0xff, 0xd8, 0xff, 0xd9}, {}}
	url := camera(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=b")
		writeParts(w, "b", append(garbage, files[0])...)
		fmt.Fprint(w, "--b--\r\n")
	})
	frames, err, log := runCamera(t, url, -1)
	if err == nil || !strings.Contains(err.Error(), "stream ended after 1 frames") {
		t.Errorf("Run: got %v, want the stream to end after 1 frame", err)
	}
	if len(frames) != 1 || frames[0].Seq != 1 {
		t.Errorf("got %d frames, want the one good part as frame 1", len(frames))
	}
	if n := strings.Count(log, "skipping a part"); n != 1 {
		t.Errorf("log: got %d lines about skipped parts, want 1 for all %d:\n%s", n, len(garbage), log)
	}
	if !strings.Contains(log, "skipped=1 ") {
		t.Errorf("log: got %q, want the count of the first skipped part", log)
	}
}

func TestMJPEGErrors(t *testing.T) {
	files, _ := sceneJPEGs(t, 0)
	huge := make([]byte, source.MaxMJPEGPart+1)
	copy(huge, files[0])
	for _, tc := range []struct {
		name   string
		h      http.HandlerFunc
		frames int
		want   string
	}{
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, 0, "status 404 Not Found"},
		{"wrong content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(files[0])
		}, 0, `content type "image/jpeg": want multipart`},
		{"no boundary", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "multipart/x-mixed-replace")
		}, 0, "has no boundary"},
		{"truncated", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=b")
			writeParts(w, "b", files...)
			fmt.Fprintf(w, "--b\r\nContent-Type: image/jpeg\r\n\r\n")
			w.Write(files[0][:1000])
		}, 1, "after 1 frames: unexpected EOF"},
		{"ends without closing boundary", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=b")
			writeParts(w, "b", files...)
		}, 1, "after 1 frames"},
		{"empty body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=b")
		}, 0, "after 0 frames"},
		{"oversized part", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=b")
			writeParts(w, "b", files[0], huge, files[0])
		}, 1, fmt.Sprintf("a part of %d bytes, over the limit of %d", len(huge), source.MaxMJPEGPart)},
		{"oversized part without Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=b")
			stream{delim: "b", noLength: true}.write(w, files[0], huge, files[0])
		}, 1, fmt.Sprintf("a part over the limit of %d bytes", source.MaxMJPEGPart)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames, err, _ := runCamera(t, camera(t, tc.h), -1)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "source: mjpeg: http://127.0.0.1:") {
				t.Errorf("Run: got %v, want an error from source: mjpeg: and the URL containing %q", err, tc.want)
			}
			if len(frames) != tc.frames {
				t.Errorf("got %d frames, want %d", len(frames), tc.frames)
			}
		})
	}
}

// TestMJPEGUnreachable checks that a camera that is not there is an error
// to retry, which keeps the password out.
func TestMJPEGUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := "mjpeg:http://admin:secret@" + srv.Listener.Addr().String() + "/video"
	srv.Close()
	_, err, _ := runCamera(t, url, -1)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "secret") {
		t.Errorf("Run: got %v, want connection refused without the password", err)
	}
}

// hang serves one frame, then keeps the stream open until the test ends.
func hang(t *testing.T, frames [][]byte) http.HandlerFunc {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=b")
		w.(http.Flusher).Flush()
		writeParts(w, "b", frames...)
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}
}

// TestMJPEGCancel checks that Run returns when cancelled while the camera
// sends nothing.
func TestMJPEGCancel(t *testing.T) {
	files, _ := sceneJPEGs(t, 0)
	frames, err, _ := runCamera(t, camera(t, hang(t, files)), 1)
	if !errors.Is(err, context.Canceled) || len(frames) != 1 {
		t.Errorf("Run: got %d frames and %v, want 1 and context.Canceled", len(frames), err)
	}
}

// TestMJPEGStall checks that a camera that stops sending is an error, both
// before its headers and within the stream.
func TestMJPEGStall(t *testing.T) {
	files, _ := sceneJPEGs(t, 0)
	stop := make(chan struct{})
	defer close(stop)
	for _, tc := range []struct {
		name   string
		h      http.HandlerFunc
		frames int
	}{
		{"headers", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		}, 0},
		{"stream", hang(t, files), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			s, err := source.Open(camera(t, tc.h), options(&log, nil))
			if err != nil {
				t.Fatal(err)
			}
			source.SetStall(s, 100*time.Millisecond)
			frames, err := collect(t, s, -1)
			if err == nil || !strings.Contains(err.Error(), "no data for 100ms") {
				t.Errorf("Run: got %v, want an error saying no data came for 100ms", err)
			}
			if len(frames) != tc.frames {
				t.Errorf("got %d frames, want %d", len(frames), tc.frames)
			}
		})
	}
}
