package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"

	"github.com/fuscan/fuscan/terminal"
)

// MaxLineLen is the longest code text a line source accepts, in bytes;
// longer lines are dropped with a log line. The largest QR code holds
// 7089 characters.
const MaxLineLen = 8 << 10

// lineSource reads code texts, one a line, from a reader that open returns.
type lineSource struct {
	name string // for logs: "stdin" or the device path
	open func() (io.ReadCloser, error)
	opts Options
}

func openStdin(u *url.URL, q url.Values, o Options) (Source, error) {
	if err := noPath(u); err != nil {
		return nil, err
	}
	if err := params(q); err != nil {
		return nil, err
	}
	r := o.Stdin
	if r == nil {
		r = os.Stdin
	}
	// Closing stdin would end it for good; a retried source reads on.
	return &lineSource{name: "stdin", open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }, opts: o}, nil
}

func openScanner(u *url.URL, q url.Values, o Options) (Source, error) {
	dev, err := path(u)
	if err != nil {
		return nil, err
	}
	if err := params(q, "baud"); err != nil {
		return nil, err
	}
	baud := 0
	if v := q.Get("baud"); v != "" {
		if baud, err = strconv.Atoi(v); err != nil || speeds[baud] == 0 {
			return nil, fmt.Errorf("baud %q: want one of %v here, or configure the device beforehand (stty -F %s SPEED raw) and leave baud out",
				v, slices.Sorted(maps.Keys(speeds)), dev)
		}
	}
	return &lineSource{name: dev, open: func() (io.ReadCloser, error) { return openDevice(dev, baud) }, opts: o}, nil
}

// Run sends one Text for each non-empty line until EOF (it returns nil),
// ctx is done or reading fails.
func (s *lineSource) Run(ctx context.Context, _ chan<- terminal.Frame, texts chan<- terminal.Scan) error {
	rc, err := s.open()
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer rc.Close() // also unblocks a device read when ctx is done

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan string)
	done := make(chan error, 1)
	go func() {
		done <- readLines(rc, s.opts.Logger.With(slog.String("source", s.name)), func(line string) bool {
			select {
			case lines <- line:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-done:
			if err != nil {
				return fmt.Errorf("source: %s: %w", s.name, err)
			}
			return nil
		case line := <-lines:
			if err := send(ctx, texts, terminal.Scan{Text: line, At: s.opts.Now()}); err != nil {
				return err
			}
		}
	}
}

// readLines calls emit with each line of r that is not empty once its
// surrounding white space (a CR among it) is trimmed, until r ends or emit
// returns false. A line longer than MaxLineLen is dropped with a log line.
// A last line without a newline counts. It returns nil at EOF.
func readLines(r io.Reader, log *slog.Logger, emit func(string) bool) error {
	br := bufio.NewReaderSize(r, MaxLineLen+2) // room for a whole line and its CR LF
	tooLong := false                           // within a line being dropped
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !tooLong {
				log.Warn("source: dropping a line longer than the limit", slog.Int("limit", MaxLineLen))
			}
			tooLong = true
			continue
		case tooLong:
			// The end of a dropped line.
			tooLong = false
		default:
			if line := bytes.TrimSpace(chunk); len(line) > MaxLineLen {
				log.Warn("source: dropping a line longer than the limit", slog.Int("limit", MaxLineLen))
			} else if len(line) > 0 && !emit(string(line)) {
				return nil
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
