package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/terminal/sample"
)

// readTruth reads dir/truth.jsonl.
func readTruth(t *testing.T, dir string) []truthLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []truthLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l truthLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("truth line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// readPGM reads a binary PGM as written by corpus.
func readPGM(t *testing.T, path string) *image.Gray {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w, h, maxv int
	n, err := fmt.Sscanf(string(data), "P5\n%d %d\n%d\n", &w, &h, &maxv)
	if err != nil || n != 3 || maxv != 255 {
		t.Fatalf("%s: PGM header: %v", path, err)
	}
	header := fmt.Sprintf("P5\n%d %d\n255\n", w, h)
	if len(data) != len(header)+w*h {
		t.Fatalf("%s: %d bytes, want %d", path, len(data), len(header)+w*h)
	}
	return &image.Gray{Pix: data[len(header):], Stride: w, Rect: image.Rect(0, 0, w, h)}
}

func TestCorpus(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "corpus")
	out := mustRun(t, "", "corpus", "--out", dir, "--category", "empty,clean", "--n", "3", "--format", "pgm")
	if !strings.Contains(out, "wrote 6 images in 2 categories to") {
		t.Errorf("stdout %q, want a summary of 6 images", out)
	}
	lines := readTruth(t, dir)
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 6 || len(files) != 7 {
		t.Fatalf("%d truth lines and %d files (%v), want 6 and 6 images with truth.jsonl", len(lines), len(files), files)
	}
	cats := map[string]scene.Category{}
	for _, c := range scene.Categories(sample.Texts()) {
		cats[c.Name] = c
	}
	for i, l := range lines {
		// The corpus's order: clean before empty, whatever the flag's.
		wantCat := []string{"clean", "empty"}[i/3]
		s := cats[wantCat].Make(i % 3)
		ext := ".pgm"
		if _, gray := s.Image.(*image.Gray); !gray {
			ext = ".png" // colour frames stay PNG
		}
		if want := fmt.Sprintf("%s-%03d%s", wantCat, i%3, ext); l.File != want || l.Category != wantCat {
			t.Errorf("line %d: file %q, category %q; want %q, %q", i, l.File, l.Category, want, wantCat)
			continue
		}
		if l.Text != s.Text || l.Version != s.Version || l.ModulePx != map[bool]float64{true: s.Params.ModulePx}[s.Text != ""] {
			t.Errorf("%s: text %.10q, version %d, module %g px; want %.10q, %d, %g", l.File, l.Text, l.Version, l.ModulePx, s.Text, s.Version, s.Params.ModulePx)
		}
		if (l.Text == "") != (wantCat == "empty") || (l.Corners == nil) != (l.Text == "") || l.Params == nil || *l.Params != s.Params {
			t.Errorf("%s: text %.10q, corners %v, params %+v", l.File, l.Text, l.Corners, l.Params)
		}
		var img image.Image
		if ext == ".pgm" {
			img = readPGM(t, filepath.Join(dir, l.File))
		} else {
			f, err := os.Open(filepath.Join(dir, l.File))
			if err != nil {
				t.Fatal(err)
			}
			img, err = png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", l.File, err)
			}
		}
		if got, want := imageBytes(img), imageBytes(s.Image); !bytes.Equal(got, want) {
			t.Errorf("%s: pixels differ from the sample's", l.File)
		}
	}
}

// imageBytes returns the pixels of a Gray, RGBA or NRGBA image; a PNG of
// an opaque RGBA image decodes as NRGBA with the same bytes.
func imageBytes(img image.Image) []byte {
	switch m := img.(type) {
	case *image.Gray:
		return m.Pix
	case *image.RGBA:
		return m.Pix
	case *image.NRGBA:
		return m.Pix
	}
	return nil
}

func TestCorpusCards(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "", "corpus", "--out", dir, "--category", "cards", "--n", "9")
	lines := readTruth(t, dir)
	pdf, err := os.ReadFile(filepath.Join(dir, "cards.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	texts := sample.Texts()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(lines) != 9 {
		t.Fatalf("cards.pdf of %d bytes, %d truth lines; want a PDF and 9 lines", len(pdf), len(lines))
	}
	for i, l := range lines {
		if l.File != "cards.pdf" || l.Category != "cards" || l.Text != texts[i%len(texts)] || l.Page != i/8+1 || l.Version < 9 {
			t.Errorf("line %d: %+v", i, l)
		}
	}
}

func TestCorpusUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"corpus"}, "missing --out"},
		{[]string{"corpus", "--out", dir, "--category", "blurry"}, `unknown category "blurry"`},
		{[]string{"corpus", "--out", dir, "--format", "jpg"}, `unknown format "jpg"`},
		{[]string{"corpus", "--out", dir, "--n", "-1"}, "--n -1"},
		{[]string{"corpus", "--out", dir, "extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		r := fuscanctl(t, "", tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("usage errors wrote %d files", len(files))
	}
}
