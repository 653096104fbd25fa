package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/bmp"

	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/qrcard"
)

// decodeText is the code text of the decode tests' files.
const decodeText = "FSC1:NCFJ30B20FFWTWGSLK/-4P99B+VHH4L+GK4O77B0XKI-CQW6646736DF3/Y1600CF3E6TD10100000YALJB0Y50:XC3"

// codeFiles writes the code of text in every format decode reads into dir
// and returns their paths, by format.
func codeFiles(t *testing.T, dir, text string) map[string]string {
	t.Helper()
	img, err := qrcard.Image(text, &qrcard.ImageOptions{ModulePx: 4})
	if err != nil {
		t.Fatal(err)
	}
	paletted := image.NewPaletted(img.Rect, color.Palette{color.Black, color.White})
	for i, v := range img.Pix {
		paletted.Pix[i] = v / 255
	}
	encoders := map[string]func(*bytes.Buffer) error{
		"png":  func(b *bytes.Buffer) error { return png.Encode(b, img) },
		"jpeg": func(b *bytes.Buffer) error { return jpeg.Encode(b, img, &jpeg.Options{Quality: 85}) },
		"gif":  func(b *bytes.Buffer) error { return gif.Encode(b, paletted, nil) },
		"bmp":  func(b *bytes.Buffer) error { return bmp.Encode(b, img) },
		"pgm": func(b *bytes.Buffer) error {
			fmt.Fprintf(b, "P5\n%d %d\n255\n", img.Rect.Dx(), img.Rect.Dy())
			_, err := b.Write(img.Pix)
			return err
		},
		"pdf": func(b *bytes.Buffer) error { return qrcard.WriteCardPDF(b, []qrcard.Card{{Text: text, Name: "张*"}}) },
	}
	paths := map[string]string{}
	for format, encode := range encoders {
		var b bytes.Buffer
		if err := encode(&b); err != nil {
			t.Fatal(err)
		}
		// No extension: decode goes by content.
		paths[format] = writeFile(t, dir, "code-"+format+".bin", b.String())
	}
	return paths
}

// decodeLine is what decode --json prints for a file, with the keys
// present.
type decodeLine struct {
	File  string `json:"file"`
	Codes []struct {
		Text   string       `json:"text"`
		Page   int          `json:"page"`
		Points [][2]float64 `json:"points"`
	} `json:"codes"`
	MS    float64 `json:"ms"`
	Error *string `json:"error"`
	keys  []string
}

// decodeJSON parses decode --json output, one object a line.
func decodeJSON(t *testing.T, out string) []decodeLine {
	t.Helper()
	var lines []decodeLine
	for _, s := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var l decodeLine
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("line %q: %v", s, err)
		}
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			t.Fatal(err)
		}
		for k := range raw {
			l.keys = append(l.keys, k)
		}
		slices.Sort(l.keys)
		if string(raw["codes"]) == "null" {
			t.Errorf("line %q: codes is null, want []", s)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestDecodeFormats(t *testing.T) {
	paths := codeFiles(t, t.TempDir(), decodeText)
	for _, format := range []string{"png", "jpeg", "gif", "bmp", "pgm", "pdf"} {
		t.Run(format, func(t *testing.T) {
			lines := decodeJSON(t, mustRun(t, "", "decode", "--json", paths[format]))
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1", len(lines))
			}
			l := lines[0]
			wantPage := 0
			if format == "pdf" {
				wantPage = 1
			}
			if l.File != paths[format] || len(l.Codes) != 1 || l.Codes[0].Text != decodeText || l.Codes[0].Page != wantPage || l.Error != nil {
				t.Fatalf("got %+v; want the code on page %d", l, wantPage)
			}
			if got, want := l.keys, []string{"codes", "file", "ms"}; !slices.Equal(got, want) {
				t.Errorf("keys %v, want %v", got, want)
			}
			if n := len(l.Codes[0].Points); n < 3 || l.MS <= 0 {
				t.Errorf("%d points, %v ms; want at least 3 points and a time", n, l.MS)
			}
		})
	}
}

func TestDecodeErrorsKeepGoing(t *testing.T) {
	dir := t.TempDir()
	paths := codeFiles(t, dir, decodeText)
	blank := new(bytes.Buffer)
	if err := png.Encode(blank, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	corrupt := writeFile(t, dir, "corrupt.png", "\x89PNG\r\n\x1a\n garbage")
	text := writeFile(t, dir, "notes.txt", "not an image")
	empty := writeFile(t, dir, "blank.png", blank.String())
	missing := filepath.Join(dir, "missing.png")
	r := fuscanctl(t, "", "decode", "--json", missing, paths["png"], corrupt, empty, text, paths["pdf"])
	if r.code != exitFailure || !strings.Contains(r.stderr, "3 of 6 files could not be read") {
		t.Fatalf("exit %d, stderr %q; want 1 and a count of the failures", r.code, r.stderr)
	}
	lines := decodeJSON(t, r.stdout)
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6:\n%s", len(lines), r.stdout)
	}
	for i, tt := range []struct {
		file  string
		codes int
		error string
	}{
		{missing, 0, "open: no such file"}, {paths["png"], 1, ""}, {corrupt, 0, "png: "},
		{empty, 0, ""}, {text, 0, "not a PNG, JPEG"}, {paths["pdf"], 1, ""},
	} {
		l := lines[i]
		gotErr := ""
		if l.Error != nil {
			gotErr = *l.Error
		}
		if l.File != tt.file || len(l.Codes) != tt.codes || !strings.Contains(gotErr, tt.error) || (tt.error == "") != (l.Error == nil) {
			t.Errorf("line %d: got %+v, error %q; want %s with %d codes and error %q", i, l, gotErr, tt.file, tt.codes, tt.error)
		}
	}
}

func TestDecodeHuman(t *testing.T) {
	dir := t.TempDir()
	paths := codeFiles(t, dir, decodeText)
	blank := new(bytes.Buffer)
	if err := png.Encode(blank, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	empty := writeFile(t, dir, "blank.png", blank.String())
	out := mustRun(t, "", "decode", paths["png"], paths["pdf"], empty)
	want := fmt.Sprintf("%s  %s\n%s  page 1  %s\n%s  no code found\n", paths["png"], decodeText, paths["pdf"], decodeText, empty)
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestDecodeSheet reads a printed sheet of cards: a PDF of two pages and a
// PNG of a photo-like rendering of a page.
func TestDecodeSheet(t *testing.T) {
	dir := t.TempDir()
	var cards []qrcard.Card
	for i := range 10 {
		cards = append(cards, qrcard.Card{Text: fmt.Sprintf("%s%02d", decodeText[:60], i), Name: "张*"})
	}
	var b bytes.Buffer
	if err := qrcard.WriteSheetPDF(&b, cards); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, dir, "sheet.pdf", b.String())
	lines := decodeJSON(t, mustRun(t, "", "decode", "--json", path))
	var got []string
	for _, c := range lines[0].Codes {
		got = append(got, fmt.Sprintf("%d %s", c.Page, c.Text))
	}
	var want []string
	for i, c := range cards {
		want = append(want, fmt.Sprintf("%d %s", 1+i/8, c.Text))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDecodeUsage(t *testing.T) {
	for _, args := range [][]string{{"decode"}, {"decode", "--json"}, {"decode", "--pages", "3", "x.pdf"}} {
		r := fuscanctl(t, "", args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "usage: fuscanctl decode") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and the usage", args, r.code, r.stderr)
		}
	}
	if out := mustRun(t, "", "help", "decode"); !strings.Contains(out, `"codes" is [] when none was found`) {
		t.Errorf("help decode: %q", out)
	}
}

// decodeWithin runs decode --json on files, failing t if it has not
// finished after d (a hang fails the test, not the run), and returns its
// lines and what it allocated.
func decodeWithin(t *testing.T, d time.Duration, files ...string) ([]decodeLine, uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan result)
	go func() { done <- fuscanctl(t, "", append([]string{"decode", "--json"}, files...)...) }()
	var r result
	select {
	case r = <-done:
	case <-time.After(d):
		t.Fatalf("decode %v: still running after %v", files, d)
	}
	runtime.ReadMemStats(&after)
	if r.code != 0 {
		t.Fatalf("decode %v: exit %d, %s", files, r.code, r.stderr)
	}
	return decodeJSON(t, r.stdout), after.TotalAlloc - before.TotalAlloc
}

// TestDecodePosters decodes PNGs of posters of finder patterns (issue 9):
// each finds nothing within the 2 s budget and a step (10 s more are
// allowed, for a loaded machine: the figures are in scripts/bench.sh),
// allocating under 300 MB.
func TestDecodePosters(t *testing.T) {
	dir := t.TempDir()
	for _, p := range [][3]int{{500, 500, 1}, {720, 720, 2}, {1000, 1000, 3}} {
		var b bytes.Buffer
		if err := png.Encode(&b, scene.Poster(p[0], p[1], p[2])); err != nil {
			t.Fatal(err)
		}
		path := writeFile(t, dir, fmt.Sprintf("poster-%dx%d@%d.png", p[0], p[1], p[2]), b.String())
		lines, alloc := decodeWithin(t, decodeBudget+10*time.Second, path)
		if l := lines[0]; len(l.Codes) != 0 || l.Error != nil {
			t.Errorf("%s: got %+v, want no code and no error", path, l)
		}
		if alloc > 300<<20 {
			t.Errorf("%s: allocated %d MB, want under 300", path, alloc>>20)
		}
		t.Logf("%s: %v ms decoding, %d MB allocated", filepath.Base(path), lines[0].MS, alloc>>20)
	}
}

// TestDecode16Bit reads a 16-bit PNG, which image/png makes 8 bytes a
// pixel, without a 16-bit copy: decode allocates a few bytes a pixel in
// all (issue 9: a 7000×7000 one took 788 MB).
func TestDecode16Bit(t *testing.T) {
	code, err := qrcard.Image(decodeText, &qrcard.ImageOptions{ModulePx: 8})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA64(image.Rect(0, 0, 2000, 1500))
	draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(img, code.Rect.Add(image.Pt(700, 400)), code, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, t.TempDir(), "16bit.png", b.String())
	lines, alloc := decodeWithin(t, decodeBudget+10*time.Second, path)
	if l := lines[0]; len(l.Codes) != 1 || l.Codes[0].Text != decodeText {
		t.Errorf("got %+v, want the code", l)
	}
	pixels := uint64(img.Rect.Dx() * img.Rect.Dy())
	if alloc > 4*pixels {
		t.Errorf("allocated %.1f bytes a pixel, want under 4 (a 16-bit copy alone is 8)", float64(alloc)/float64(pixels))
	}
	t.Logf("%.1f bytes a pixel allocated, %v ms decoding", float64(alloc)/float64(pixels), lines[0].MS)
}
