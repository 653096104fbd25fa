package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/qrcard"
	"github.com/fuscan/fuscan/terminal/sample"
)

var corpusCommand = &command{
	name:    "corpus",
	args:    "--out DIR [--category NAME,...] [--n N] [--format png|pgm]",
	summary: "write the decoder test corpus: camera frames of sample codes, a card sheet, their truth",
	help: `
Corpus renders the decoder's test corpus into DIR (made if missing; files
of the same names are replaced): sample codes as a camera sees them, one
image per sample named CATEGORY-NNN.png (.pgm for gray frames with
--format pgm), and a PDF sheet of printed cards, cards.pdf. It writes the truth about every file to DIR/truth.jsonl, one
JSON object a line:

  {"file": "blur-007.png", "category": "blur", "text": "FSC1:...",
   "module_px": 4.2, "version": 13, "corners": [[x,y],...], "params": {...}}

text is empty for a frame without a code, where a decoder must find
nothing. corners are the symbol's corners in the image (top-left, top-right,
bottom-right, bottom-left as printed). params are the rendering parameters.
For cards.pdf there is one line a card, with its "page" instead of pixel
figures.

Categories (all by default):
  ` + categoryList() + `
The renders are deterministic: the same flags write the same files.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &corpusOptions{}
		fs.StringVar(&o.out, "out", "", "the `DIR` to write the corpus to")
		fs.Var(&o.categories, "category", "`NAMES` of the categories to write, comma-separated (default all)")
		fs.IntVar(&o.n, "n", 0, "samples a category (`N`; default each category's own), and cards in cards.pdf (default 8)")
		fs.StringVar(&o.format, "format", "png", "`format` of gray images: png or pgm (binary P5); colour images are always PNG")
		return o.run
	},
}

// cardsCategory names the printed card sheet among the categories.
const cardsCategory = "cards"

// defaultCards is how many cards cards.pdf holds unless --n says.
const defaultCards = 8

// categoryList returns the category names for the help text, in lines
// of about 70 characters.
func categoryList() string {
	names := []string{}
	for _, c := range scene.Categories(nil) {
		names = append(names, c.Name)
	}
	names = append(names, cardsCategory)
	var b strings.Builder
	line := 0
	for i, name := range names {
		switch {
		case i == 0:
		case line > 60:
			b.WriteString(",\n  ")
			line = 0
		default:
			b.WriteString(", ")
		}
		b.WriteString(name)
		line += len(name) + 2
	}
	return b.String()
}

type corpusOptions struct {
	out        string
	categories cli.List
	n          int
	format     string
}

// truthLine is one line of truth.jsonl.
type truthLine struct {
	File     string         `json:"file"`
	Category string         `json:"category"`
	Text     string         `json:"text"`
	ModulePx float64        `json:"module_px,omitempty"`
	Version  int            `json:"version,omitempty"`
	Page     int            `json:"page,omitempty"`
	Corners  *[4][2]float64 `json:"corners,omitempty"`
	Params   *scene.Params  `json:"params,omitempty"`
}

func (o *corpusOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	if o.out == "" {
		return usagef("missing --out DIR")
	}
	if o.format != "png" && o.format != "pgm" {
		return usagef("--format: unknown format %q (want png or pgm)", o.format)
	}
	if o.n < 0 {
		return usagef("--n %d: want a positive count", o.n)
	}
	cats, cards, err := o.selected()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return unwrapPath(err)
	}

	start := time.Now()
	var truth []truthLine
	var images int
	for _, c := range cats {
		n := c.N
		if o.n > 0 {
			n = o.n
		}
		lines, err := o.writeCategory(ctx, c, n)
		if err != nil {
			return err
		}
		truth = append(truth, lines...)
		images += len(lines)
	}
	if cards {
		lines, err := o.writeCards()
		if err != nil {
			return err
		}
		truth = append(truth, lines...)
	}
	if err := writeTruth(filepath.Join(o.out, "truth.jsonl"), truth); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %d images in %d categories", images, len(cats))
	if cards {
		fmt.Fprintf(e.stdout, " and cards.pdf")
	}
	fmt.Fprintf(e.stdout, " to %s in %.1f s; truth in %s\n", o.out, time.Since(start).Seconds(), filepath.Join(o.out, "truth.jsonl"))
	return nil
}

// selected returns the categories --category names, in the corpus's
// order, and whether the card sheet is among them.
func (o *corpusOptions) selected() ([]scene.Category, bool, error) {
	all := scene.Categories(sample.Texts())
	if len(o.categories.Values) == 0 {
		return all, true, nil
	}
	var cats []scene.Category
	cards := false
	for _, name := range o.categories.Values {
		if name == cardsCategory {
			cards = true
			continue
		}
		i := slices.IndexFunc(all, func(c scene.Category) bool { return c.Name == name })
		if i < 0 {
			return nil, false, usagef("--category: unknown category %q (want some of %s)", name,
				strings.ReplaceAll(categoryList(), ",\n  ", ", "))
		}
		cats = append(cats, all[i])
	}
	// The corpus's order, whatever the flag's, and each category once.
	slices.SortStableFunc(cats, func(a, b scene.Category) int {
		return slices.IndexFunc(all, func(c scene.Category) bool { return c.Name == a.Name }) -
			slices.IndexFunc(all, func(c scene.Category) bool { return c.Name == b.Name })
	})
	cats = slices.CompactFunc(cats, func(a, b scene.Category) bool { return a.Name == b.Name })
	return cats, cards, nil
}

// writeCategory renders samples 0 to n-1 of c and writes their files, in
// parallel, returning their truth in order.
func (o *corpusOptions) writeCategory(ctx context.Context, c scene.Category, n int) ([]truthLine, error) {
	lines := make([]truthLine, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				lines[i], errs[i] = o.writeSample(c, i)
			}
		})
	}
	var err error
	for i := range n {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return lines, nil
}

// writeSample renders sample i of c and writes its image file.
func (o *corpusOptions) writeSample(c scene.Category, i int) (truthLine, error) {
	s := c.Make(i)
	gray, isGray := s.Image.(*image.Gray)
	ext := ".png"
	if isGray && o.format == "pgm" {
		ext = ".pgm"
	}
	name := fmt.Sprintf("%s-%03d%s", c.Name, i, ext)
	err := createFile(filepath.Join(o.out, name), func(w io.Writer) error {
		if ext == ".pgm" {
			return writePGM(w, gray)
		}
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		return enc.Encode(w, s.Image)
	})
	if err != nil {
		return truthLine{}, err
	}
	line := truthLine{File: name, Category: c.Name, Text: s.Text, Params: &s.Params}
	if s.Text != "" {
		line.ModulePx, line.Version, line.Corners = s.Params.ModulePx, s.Version, &s.Corners
	}
	return line, nil
}

// writeCards writes cards.pdf and returns the truth of its cards.
func (o *corpusOptions) writeCards() ([]truthLine, error) {
	n := defaultCards
	if o.n > 0 {
		n = o.n
	}
	texts := cardTexts(n)
	pdf, err := scene.CardSheet(texts)
	if err != nil {
		return nil, err
	}
	const name = "cards.pdf"
	if err := os.WriteFile(filepath.Join(o.out, name), pdf, 0o644); err != nil {
		return nil, unwrapPath(err)
	}
	lines := make([]truthLine, len(texts))
	for i, text := range texts {
		m, err := qrcard.Matrix(text, qrcard.LevelM) // as cards print them
		if err != nil {
			return nil, err
		}
		lines[i] = truthLine{File: name, Category: cardsCategory, Text: text, Version: (len(m) - 17) / 4, Page: i/8 + 1}
	}
	return lines, nil
}

// cardTexts returns the texts of n cards: the sample texts in turn.
func cardTexts(n int) []string {
	all := sample.Texts()
	texts := make([]string, n)
	for i := range texts {
		texts[i] = all[i%len(all)]
	}
	return texts
}

// writePGM writes img as a binary PGM (P5).
func writePGM(w io.Writer, img *image.Gray) error {
	b := img.Bounds()
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := img.PixOffset(b.Min.X, y)
		bw.Write(img.Pix[i : i+b.Dx()])
	}
	return bw.Flush()
}

// createFile writes a file through fn, removing it when that fails.
func createFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return unwrapPath(err)
	}
	err = fn(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeTruth writes the truth lines as JSON Lines.
func writeTruth(path string, lines []truthLine) error {
	return createFile(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, l := range lines {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}
