package source

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fuscan/fuscan/decoder/imagefile"
	"github.com/fuscan/fuscan/terminal"
)

// DefaultDirFPS is the frame rate of a dir: source without fps.
const DefaultDirFPS = 5

// dirSource replays the images of a directory.
type dirSource struct {
	dir   string
	every time.Duration
	loop  bool
	opts  Options
}

func openDir(u *url.URL, q url.Values, o Options) (Source, error) {
	dir, err := path(u)
	if err != nil {
		return nil, err
	}
	if err := params(q, "fps", "loop"); err != nil {
		return nil, err
	}
	every, err := interval(q, DefaultDirFPS)
	if err != nil {
		return nil, err
	}
	loop := false
	if v := q.Get("loop"); v != "" {
		if loop, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("loop %q: want 0 or 1", v)
		}
	}
	return &dirSource{dir: dir, every: every, loop: loop, opts: o}, nil
}

// Run sends the directory's images and PDF pages in name order, once or,
// with loop=1, until ctx is done. A directory that cannot be read, or
// holds no image or page, is an error.
func (s *dirSource) Run(ctx context.Context, frames chan<- terminal.Frame, _ chan<- terminal.Scan) error {
	p := newPacer(s.every)
	defer p.stop()
	var seq uint64
	emit := func(img image.Image) error {
		if err := p.wait(ctx); err != nil {
			return err
		}
		seq++
		return send(ctx, frames, terminal.Frame{Image: img, At: s.opts.Now(), Seq: seq})
	}
	for {
		names, err := s.files()
		if err != nil {
			return err
		}
		before := seq
		for _, name := range names {
			if err := s.replay(ctx, name, emit); err != nil {
				return err
			}
		}
		if seq == before {
			return fmt.Errorf("source: dir: no image in %s could be decoded", s.dir)
		}
		if !s.loop {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// replay passes the image of file name, or each page of a PDF, to emit,
// and returns emit's error. Files and pages that cannot be read are
// skipped with a log line.
func (s *dirSource) replay(ctx context.Context, name string, emit func(image.Image) error) error {
	if !isPDF(name) {
		img, err := decodeFile(name)
		if err != nil {
			s.opts.Logger.Warn("source: skipping undecodable image", "file", name, "err", err)
			return nil
		}
		return emit(img)
	}
	err := renderPDF(name, func(img *image.Gray) error { return emit(img) })
	if err != nil && ctx.Err() == nil {
		// A PDF read in part had its pages sent; the log says what was not.
		s.opts.Logger.Warn("source: skipping unreadable PDF pages", "file", name, "err", err)
		return nil
	}
	return err
}

// dirPDFDPI is the resolution dir: renders PDF pages at.
const dirPDFDPI = 150

func isPDF(name string) bool { return strings.EqualFold(filepath.Ext(name), ".pdf") }

// files lists the image and PDF files of the directory in name order.
func (s *dirSource) files() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("source: dir: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg", ".gif", ".pdf":
			names = append(names, filepath.Join(s.dir, e.Name()))
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("source: dir: no PNG, JPEG, GIF or PDF files in %s", s.dir)
	}
	return names, nil
}

// decodeFile decodes one image file, refusing one over
// imagefile.MaxPixels (48 megapixels, what the decoder accepts) before
// allocating it. A 16-bit PNG becomes its luma.
func decodeFile(name string) (image.Image, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := imagefile.Read(f, 0)
	if errors.Is(err, image.ErrFormat) {
		return nil, errors.New("not a PNG, JPEG or GIF image")
	}
	return img, err
}
