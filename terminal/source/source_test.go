package source_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder"
	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/qrcard"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/sample"
	"github.com/fuscan/fuscan/terminal/source"
)

// epoch is the fixed instant of the tests' clock.
var epoch = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// clock returns a fake Now that advances a second at every call.
func clock() func() time.Time {
	n := 0
	return func() time.Time {
		n++
		return epoch.Add(time.Duration(n) * time.Second)
	}
}

// options returns test options logging into log.
func options(log *bytes.Buffer, stdin io.Reader) *source.Options {
	return &source.Options{
		Now:    clock(),
		Logger: slog.New(slog.NewTextHandler(log, nil)),
		Stdin:  stdin,
	}
}

// writeCodes writes a PNG QR code of each text into dir, named by name.
func writeCodes(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		img, err := qrcard.Image(text, &qrcard.ImageOptions{ModulePx: 2})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// collect runs s until it returns or want frames arrived, then cancels it.
func collect(t *testing.T, s source.Source, want int) ([]terminal.Frame, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	frames := make(chan terminal.Frame)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, frames, nil) }()
	var got []terminal.Frame
	for {
		select {
		case f := <-frames:
			got = append(got, f)
			if len(got) == want {
				cancel()
				return got, <-done
			}
		case err := <-done:
			return got, err
		}
	}
}

// sizes returns the widths of frames' images, which identify the test codes.
func sizes(frames []terminal.Frame) []int {
	var ws []int
	for _, f := range frames {
		ws = append(ws, f.Image.Bounds().Dx())
	}
	return ws
}

// codeDir makes a dir of three codes whose image widths differ, with a
// broken PDF and a text file that must be skipped.
func codeDir(t *testing.T) (dir string, widths []int) {
	t.Helper()
	dir = t.TempDir()
	files := map[string]string{"a.png": "A", "b.png": strings.Repeat("B", 40), "c.png": strings.Repeat("C", 90)}
	writeCodes(t, dir, files)
	for _, name := range []string{"a.png", "b.png", "c.png"} {
		img, err := qrcard.Image(files[name], &qrcard.ImageOptions{ModulePx: 2})
		if err != nil {
			t.Fatal(err)
		}
		widths = append(widths, img.Bounds().Dx())
	}
	if widths[0] == widths[1] || widths[1] == widths[2] {
		t.Fatalf("test codes have equal widths %v", widths)
	}
	for name, data := range map[string]string{"b2.pdf": "%PDF-1.4\n", "notes.txt": "hello"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, widths
}

func TestDirOnce(t *testing.T) {
	dir, widths := codeDir(t)
	var log bytes.Buffer
	s, err := source.Open("dir:"+dir+"?fps=max", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := collect(t, s, -1)
	if err != nil {
		t.Fatalf("Run: got %v, want nil at the end of the files", err)
	}
	if got := sizes(frames); fmt.Sprint(got) != fmt.Sprint(widths) {
		t.Errorf("frame widths: got %v, want %v (name order)", got, widths)
	}
	for i, f := range frames {
		if want := uint64(i + 1); f.Seq != want {
			t.Errorf("frame %d: got Seq %d, want %d", i, f.Seq, want)
		}
		if want := epoch.Add(time.Duration(i+1) * time.Second); !f.At.Equal(want) {
			t.Errorf("frame %d: got At %v, want %v", i, f.At, want)
		}
	}
	if !strings.Contains(log.String(), "b2.pdf") {
		t.Errorf("log: got %q, want a line about skipping b2.pdf", log.String())
	}
}

// TestDirPDF checks that each page of a PDF becomes a gray frame at 150 DPI
// on which the decoder reads the page's code, between the images before
// and after it in name order.
func TestDirPDF(t *testing.T) {
	dir := t.TempDir()
	writeCodes(t, dir, map[string]string{"a.png": "A", "c.png": "C"})
	texts := []string{"FSC1:FIRST-PAGE-0001", "FSC1:SECOND-PAGE-0002"}
	writeCardPDF(t, filepath.Join(dir, "b.PDF"), texts...)
	var log bytes.Buffer
	s, err := source.Open("dir:"+dir+"?fps=max", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := collect(t, s, -1)
	if err != nil {
		t.Fatalf("Run: got %v, want nil at the end of the files; log:\n%s", err, log.String())
	}
	if len(frames) != 4 {
		t.Fatalf("got %d frames, want 4: a.png, two pages of b.PDF, c.png", len(frames))
	}
	// An A6 page, 105×148 mm, at 150 DPI.
	wantSize := image.Pt(620, 874)
	for i, want := range texts {
		f := frames[i+1]
		g, ok := f.Image.(*image.Gray)
		if !ok {
			t.Fatalf("page %d: got %T, want *image.Gray", i+1, f.Image)
		}
		if got := g.Bounds().Size(); abs(got.X-wantSize.X) > 1 || abs(got.Y-wantSize.Y) > 1 {
			t.Errorf("page %d: got %v pixels, want %v (A6 at 150 DPI)", i+1, got, wantSize)
		}
		codes, err := decoder.New(nil).Decode(g)
		if err != nil || len(codes) != 1 || codes[0].Text != want {
			t.Errorf("page %d: decoded %v, %v; want the code %q", i+1, codes, err, want)
		}
		if f.Seq != uint64(i+2) {
			t.Errorf("page %d: got Seq %d, want %d", i+1, f.Seq, i+2)
		}
	}
	for _, i := range []int{0, 3} {
		if _, ok := frames[i].Image.(*image.Gray); ok && frames[i].Image.Bounds().Size() == wantSize {
			t.Errorf("frame %d: got a page, want a PNG image", i)
		}
	}
}

// writeCardPDF writes a card PDF with a page for each text to path.
func writeCardPDF(t *testing.T, path string, texts ...string) {
	t.Helper()
	var cards []qrcard.Card
	for i, text := range texts {
		cards = append(cards, qrcard.Card{Text: text, Serial: fmt.Sprint(i + 1)})
	}
	var pdf bytes.Buffer
	if err := qrcard.WriteCardPDF(&pdf, cards); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pdf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDirPDFCancel checks that a replay cancelled within a PDF stops
// without taking the PDF for a broken one.
func TestDirPDFCancel(t *testing.T) {
	dir := t.TempDir()
	writeCardPDF(t, filepath.Join(dir, "cards.pdf"), "ONE", "TWO")
	var log bytes.Buffer
	s, err := source.Open("dir:"+dir+"?fps=max", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	// Cancelled at the first page, Run is at the second.
	frames, err := collect(t, s, 1)
	if !errors.Is(err, context.Canceled) || len(frames) != 1 {
		t.Errorf("Run: got %d frames and %v, want 1 and context.Canceled", len(frames), err)
	}
	if log.Len() != 0 {
		t.Errorf("log: got %q, want nothing: a cancelled PDF is not a broken one", log.String())
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestDirLoop(t *testing.T) {
	dir, widths := codeDir(t)
	var log bytes.Buffer
	s, err := source.Open("dir:"+dir+"?fps=max&loop=1", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := collect(t, s, 7)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: got %v, want context.Canceled", err)
	}
	want := append(append(append([]int{}, widths...), widths...), widths[0])
	if got := sizes(frames); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("frame widths: got %v, want %v", got, want)
	}
	if got := frames[6].Seq; got != 7 {
		t.Errorf("seventh frame: got Seq %d, want 7", got)
	}
}

// TestDirPaced checks that a paced source stops when cancelled while it
// waits; it asserts no timing.
func TestDirPaced(t *testing.T) {
	dir, _ := codeDir(t)
	var log bytes.Buffer
	s, err := source.Open("dir:"+dir+"?fps=0.01&loop=1", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, make(chan terminal.Frame), nil) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got %v, want context.Canceled", err)
	}
}

func TestDirErrors(t *testing.T) {
	empty := t.TempDir()
	junk := t.TempDir()
	if err := os.WriteFile(filepath.Join(junk, "x.png"), []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, url, want string }{
		{"missing", "dir:" + filepath.Join(empty, "nope"), "no such file"},
		{"empty", "dir:" + empty + "?loop=1", "no PNG, JPEG, GIF or PDF"},
		{"undecodable", "dir:" + junk + "?loop=1&fps=max", "could be decoded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			s, err := source.Open(tc.url, options(&log, nil))
			if err != nil {
				t.Fatal(err)
			}
			_, err = collect(t, s, -1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestDemo(t *testing.T) {
	var log bytes.Buffer
	s, err := source.Open("demo:?fps=max&seed=3&width=320&height=240", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := collect(t, s, 3)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: got %v, want context.Canceled", err)
	}
	for i, f := range frames {
		g, ok := f.Image.(*image.Gray)
		if !ok {
			t.Fatalf("frame %d: got %T, want *image.Gray", i, f.Image)
		}
		if got, want := g.Bounds().Size(), image.Pt(320, 240); got != want {
			t.Errorf("frame %d: got size %v, want %v", i, got, want)
		}
		if f.Seq != uint64(i+1) {
			t.Errorf("frame %d: got Seq %d, want %d", i, f.Seq, i+1)
		}
	}
}

// TestDemoHasCodes checks, through scene directly, that the demo's frames
// show codes: at fps=max the demo sends scene.Sequence's frames in turn.
func TestDemoHasCodes(t *testing.T) {
	seq := scene.Sequence(1, image.Pt(320, 240), sample.Texts())
	for i := range 200 {
		if seq(i).Text != "" {
			return
		}
	}
	t.Error("no code in the first 200 frames of the demo scene")
}

func TestStdin(t *testing.T) {
	long := strings.Repeat("x", source.MaxLineLen+1)
	limit := strings.Repeat("y", source.MaxLineLen)
	huge := strings.Repeat("z", 3*source.MaxLineLen)
	in := "first\r\n\n   \r\n  second  \n" + long + "\nthird\r\n" + huge + "\r\n" + limit + "\nlast"
	sent, log := readStdin(t, in)
	var got []string
	var ats []time.Time
	for _, tx := range sent {
		got = append(got, tx.Text)
		ats = append(ats, tx.At)
	}
	want := []string{"first", "second", "third", limit, "last"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("texts: got %.80q, want %.80q", got, want)
	}
	for i, at := range ats {
		if want := epoch.Add(time.Duration(i+1) * time.Second); !at.Equal(want) {
			t.Errorf("text %d: got At %v, want %v", i, at, want)
		}
	}
	if n := strings.Count(log, "longer than the limit"); n != 2 {
		t.Errorf("log: got %d dropped-line messages, want 2:\n%s", n, log)
	}
}

// readStdin runs a stdin: source over in until it ends and returns the
// texts it sent and what it logged.
func readStdin(t *testing.T, in string) ([]terminal.Scan, string) {
	t.Helper()
	var log bytes.Buffer
	s, err := source.Open("stdin:", options(&log, strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	texts := make(chan terminal.Scan)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), nil, texts) }()
	var got []terminal.Scan
	for {
		select {
		case tx := <-texts:
			got = append(got, tx)
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: got %v, want nil at EOF", err)
			}
			return got, log.String()
		}
	}
}

// blockingReader never returns, as a terminal's stdin with nobody typing.
type blockingReader struct{ stop chan struct{} }

func (r blockingReader) Read([]byte) (int, error) {
	<-r.stop
	return 0, io.EOF
}

func TestStdinCancel(t *testing.T) {
	r := blockingReader{stop: make(chan struct{})}
	defer close(r.stop)
	var log bytes.Buffer
	s, err := source.Open("stdin:", options(&log, r))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, nil, make(chan terminal.Scan)) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got %v, want context.Canceled", err)
	}
}

func TestScanner(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "ttyACM0")
	if err := os.WriteFile(dev, []byte("HC1:ONE\r\nHC1:TWO\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	s, err := source.Open("scanner:"+dev, options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	texts := make(chan terminal.Scan, 10)
	if err := s.Run(context.Background(), nil, texts); err != nil {
		t.Fatalf("Run: got %v, want nil at EOF", err)
	}
	close(texts)
	var got []string
	for tx := range texts {
		got = append(got, tx.Text)
	}
	if want := []string{"HC1:ONE", "HC1:TWO"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("texts: got %q, want %q", got, want)
	}

	if runtime.GOOS == "linux" {
		// A regular file is no terminal: setting its speed must fail clearly.
		s, err := source.Open("scanner:"+dev+"?baud=115200", options(&log, nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background(), nil, make(chan terminal.Scan)); err == nil || !strings.Contains(err.Error(), "setting 115200 baud") {
			t.Errorf("Run with baud on a file: got %v, want an error setting 115200 baud", err)
		}
	}

	missing, err := source.Open("scanner:"+dev+"-gone", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := missing.Run(context.Background(), nil, make(chan terminal.Scan)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Run on a missing device: got %v, want os.ErrNotExist", err)
	}
}

// openCases are URLs and the error Open gives them; an empty want means none.
var openCases = []struct{ url, want string }{
	{"dir:/srv/frames", ""},
	{"dir:frames?fps=5&loop=1", ""},
	{"dir:/srv/frames?fps=max&loop=0", ""},
	{"dir:/srv/frames?fps=2.5", ""},
	{"demo:", ""},
	{"demo:?fps=15&seed=1&width=1280&height=720", ""},
	{"stdin:", ""},
	{"scanner:/dev/ttyACM0", ""},
	{"scanner:dev/scanner", ""},
	{"", "no scheme"},
	{"/srv/frames", "no scheme"},
	{"ftp://example.com/x", `unknown scheme "ftp" (supported: [dir demo stdin scanner v4l2 mjpeg])`},
	{"mjpeg:http://10.0.0.2/video", ""},
	{"mjpeg:https://cam.local:8443/axis-cgi/mjpg/video.cgi?resolution=1280x720&fps=15&x=%zz", ""},
	{"mjpeg:http://user:secret@10.0.0.2/video#top", ""},
	{"MJPEG:http://10.0.0.2/video", ""},
	{"mjpeg:", "want mjpeg:http://HOST/PATH"},
	{"mjpeg:ftp://10.0.0.2/video", "want mjpeg:http://HOST/PATH"},
	{"mjpeg:/video", "want mjpeg:http://HOST/PATH"},
	{"mjpeg:http:///video", "want mjpeg:http://HOST/PATH"},
	{"mjpeg:http://user:secret@[::1/video", "missing ']' in host"},
	{"v4l2:", "no path"},
	{"v4l2://host/dev/video0", "unexpected host"},
	{"v4l2:/dev/video0?width=8", "width"},
	{"v4l2:/dev/video0?height=tall", "height"},
	{"v4l2:/dev/video0?width=8192&height=8192", "at most"},
	{"v4l2:/dev/video0?fps=0", "fps"},
	{"v4l2:/dev/video0?format=yuyv", `unknown parameter "format"`},
	{"dir:", "no path"},
	{"dir://host/frames", "unexpected host"},
	{"dir:/srv/frames?fps=0", "fps"},
	{"dir:/srv/frames?fps=-1", "fps"},
	{"dir:/srv/frames?fps=NaN", "fps"},
	{"dir:/srv/frames?fps=fast", "fps"},
	{"dir:/srv/frames?fps=5000", "fps"},
	{"dir:/srv/frames?loop=yes", "loop"},
	{"dir:/srv/frames?speed=2", `unknown parameter "speed"`},
	{"dir:/srv/frames?fps=1&fps=2", "given 2 times"},
	{"dir:/srv/frames?fps=%zz", "invalid URL escape"},
	{"demo:/x", "unexpected path"},
	{"demo:?width=239", "width"},
	{"demo:?height=99999", "height"},
	{"demo:?seed=-1", "seed"},
	{"stdin:?x=1", "unknown parameter"},
	{"stdin:/dev/tty", "unexpected path"},
	{"scanner:", "no path"},
	{"scanner:/dev/ttyACM0?baud=12345", "stty -F /dev/ttyACM0 SPEED raw"},
	{"scanner:/dev/ttyACM0?baud=fast", "baud"},
	{"scanner:/dev/ttyACM0?parity=even", "unknown parameter"},
	{"dir:%zz", "invalid URL escape"},
}

func TestOpen(t *testing.T) {
	for _, tc := range openCases {
		_, err := source.Open(tc.url, nil)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Open(%q): got %v, want no error", tc.url, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Open(%q): got %v, want an error containing %q", tc.url, err, tc.want)
		case err != nil && !strings.HasPrefix(err.Error(), "source: "):
			t.Errorf("Open(%q): got %q, want it prefixed with %q", tc.url, err, "source: ")
		}
	}
	for _, u := range []string{"v4l2:/dev/video0", "v4l2:/dev/video0?width=640&height=480&fps=30", "v4l2:video1?fps=max"} {
		_, err := source.Open(u, nil)
		if runtime.GOOS == "linux" && err != nil {
			t.Errorf("Open(%q): got %v, want no error", u, err)
		}
		if runtime.GOOS != "linux" && (!errors.Is(err, source.ErrUnsupported) || !strings.Contains(err.Error(), "need Linux")) {
			t.Errorf("Open(%q): got %v, want ErrUnsupported saying v4l2 cameras need Linux", u, err)
		}
	}
	for _, tc := range openCases {
		if _, err := source.Open(tc.url, nil); err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q): got %q, want the password left out", tc.url, err)
		}
	}
}

func TestIsReplay(t *testing.T) {
	for url, want := range map[string]bool{"dir:frames": true, "demo:": false, "stdin:": false, "mjpeg:http://127.0.0.1/v": false} {
		s, err := source.Open(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := source.IsReplay(s); got != want {
			t.Errorf("IsReplay(%s) = %v, want %v", url, got, want)
		}
	}
}

// TestDir16Bit replays a 16-bit PNG as the luma of its pixels, an
// *image.Gray on which the decoder reads the code, without the 16-bit
// copy image/png would make (8 bytes a pixel); and a poster of finder
// patterns, which is just another frame here.
func TestDir16Bit(t *testing.T) {
	dir := t.TempDir()
	code, err := qrcard.Image("FSC1:SIXTEEN-BITS", &qrcard.ImageOptions{ModulePx: 4})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA64(image.Rect(0, 0, 1600, 1200))
	draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(img, code.Rect.Add(image.Pt(500, 300)), code, image.Point{}, draw.Src)
	for name, m := range map[string]image.Image{"a-16bit.png": img, "b-poster.png": scene.Poster(720, 720, 2)} {
		var b bytes.Buffer
		if err := png.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	s, err := source.Open("dir:"+dir+"?fps=max", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	frames, err := collect(t, s, -1)
	runtime.ReadMemStats(&after)
	if err != nil || len(frames) != 2 {
		t.Fatalf("got %d frames, %v; want 2\n%s", len(frames), err, log.String())
	}
	gray, ok := frames[0].Image.(*image.Gray)
	if !ok || gray.Rect != img.Rect {
		t.Fatalf("16-bit PNG: got a %T of %v, want an *image.Gray of %v", frames[0].Image, frames[0].Image.Bounds(), img.Rect)
	}
	pixels := uint64(1600*1200 + 720*720)
	n := after.TotalAlloc - before.TotalAlloc
	if n > 3*pixels {
		t.Errorf("allocated %.1f bytes a pixel, want under 3", float64(n)/float64(pixels))
	}
	t.Logf("%.1f bytes a pixel allocated", float64(n)/float64(pixels))
	if codes, err := decoder.New(nil).Decode(gray); err != nil || len(codes) != 1 || codes[0].Text != "FSC1:SIXTEEN-BITS" {
		t.Errorf("decoding the frame: got %+v, %v; want its code", codes, err)
	}
}
