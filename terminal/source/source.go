package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/fuscan/fuscan/terminal"
)

// Source produces frames or code texts for a terminal.
type Source interface {
	// Run sends frames (image sources) or texts (line sources, stamped with Options.Now when the line was complete) until the
	// source is exhausted (it returns nil), ctx is done (it returns
	// ctx.Err()) or the source fails (it returns an error saying why, and
	// the caller may retry later with backoff). Run never closes the
	// channels; a source sends only on the one it serves, so the other
	// may be nil.
	Run(ctx context.Context, frames chan<- terminal.Frame, texts chan<- terminal.Scan) error
}

// Options configures the sources Open returns. A nil *Options is valid and
// means the defaults of every field.
type Options struct {
	// Now stamps frames and texts. Nil: time.Now.
	Now func() time.Time
	// Logger receives skipped files and dropped lines. Nil: slog.Default().
	Logger *slog.Logger
	// Stdin is what stdin: reads. Nil: os.Stdin.
	Stdin io.Reader
}

// ErrUnsupported is wrapped by Open's error for a source this build cannot
// provide: v4l2: cameras outside Linux.
var ErrUnsupported = errors.New("not supported yet")

// Schemes are the URL schemes Open accepts.
var Schemes = []string{"dir", "demo", "stdin", "scanner", "v4l2", "mjpeg"}

// Open returns the source rawURL names; see the package comment for the
// URLs. It only parses: files and devices are opened by Run, so a source
// that is not there yet can be retried.
func Open(rawURL string, opts *Options) (Source, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	o := resolve(opts)
	if u.Scheme == "mjpeg" {
		// The rest is the camera's URL, whose query is not ours.
		s, err := openMJPEG(rawURL[len("mjpeg:"):], o)
		if err != nil {
			return nil, fmt.Errorf("source: mjpeg: %w", err)
		}
		return s, nil
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("source: %s: %w", u.Scheme, err)
	}
	var s Source
	switch u.Scheme {
	case "dir":
		s, err = openDir(u, q, o)
	case "demo":
		s, err = openDemo(u, q, o)
	case "stdin":
		s, err = openStdin(u, q, o)
	case "scanner":
		s, err = openScanner(u, q, o)
	case "v4l2":
		s, err = openV4L2(u, q, o)
	case "":
		err = fmt.Errorf("no scheme in %q (supported: %v)", rawURL, Schemes)
	default:
		err = fmt.Errorf("unknown scheme %q (supported: %v)", u.Scheme, Schemes)
	}
	if err != nil {
		return nil, fmt.Errorf("source: %s: %w", u.Scheme, err)
	}
	return s, nil
}

// IsReplay reports whether s replays recorded files (dir:) rather than
// watching a live scene: a consumer should decide every frame of a replay,
// waiting for it, where a camera's stale frames are better dropped.
func IsReplay(s Source) bool {
	_, ok := s.(*dirSource)
	return ok
}

// resolve returns a copy of opts with defaults in place of nil fields.
func resolve(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// path returns the path of a dir: or scanner: URL, which is opaque when
// relative ("dir:frames") and a path when absolute ("dir:/srv/frames").
func path(u *url.URL) (string, error) {
	if u.Host != "" || u.User != nil {
		return "", fmt.Errorf("unexpected host in %q: write %s:/ABSOLUTE/PATH or %s:RELATIVE/PATH", u.Redacted(), u.Scheme, u.Scheme)
	}
	p := u.Path
	if u.Opaque != "" {
		var err error
		if p, err = url.PathUnescape(u.Opaque); err != nil {
			return "", err
		}
	}
	if p == "" {
		return "", errors.New("no path")
	}
	return p, nil
}

// noPath rejects a path on a URL that takes none.
func noPath(u *url.URL) error {
	if u.Opaque != "" || u.Path != "" || u.Host != "" {
		return fmt.Errorf("unexpected path in %q", u.Redacted())
	}
	return nil
}

// params checks that q holds only the allowed keys, each at most once.
func params(q url.Values, allowed ...string) error {
	for k, v := range q {
		known := false
		for _, a := range allowed {
			known = known || k == a
		}
		if !known {
			return fmt.Errorf("unknown parameter %q (allowed: %v)", k, allowed)
		}
		if len(v) > 1 {
			return fmt.Errorf("parameter %q given %d times", k, len(v))
		}
	}
	return nil
}

// intParam parses the integer parameter key, def when left out, which must
// be from lo to hi.
func intParam(q url.Values, key string, def, lo, hi int) (int, error) {
	v := q.Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s %q: want an integer from %d to %d", key, v, lo, hi)
	}
	return n, nil
}

// maxFPS bounds fps: beyond it "max" says what is meant.
const maxFPS = 1000

// interval parses the fps parameter into the time between frames; zero
// means as fast as the consumer takes them.
func interval(q url.Values, def float64) (time.Duration, error) {
	v := q.Get("fps")
	if v == "" {
		return time.Duration(float64(time.Second) / def), nil
	}
	if v == "max" {
		return 0, nil
	}
	fps, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(fps) || fps <= 0 || fps > maxFPS {
		return 0, fmt.Errorf("fps %q: want a number in (0, %d] or max", v, maxFPS)
	}
	return time.Duration(float64(time.Second) / fps), nil
}

// pacer waits between frames.
type pacer struct {
	ticker *time.Ticker // nil: no waiting
}

func newPacer(every time.Duration) *pacer {
	if every <= 0 {
		return &pacer{}
	}
	return &pacer{ticker: time.NewTicker(every)}
}

// wait blocks until the next frame is due or ctx is done.
func (p *pacer) wait(ctx context.Context) error {
	if p.ticker == nil {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-p.ticker.C:
		return nil
	}
}

func (p *pacer) stop() {
	if p.ticker != nil {
		p.ticker.Stop()
	}
}

// sendFrame delivers f on frames unless ctx is done first, when it
// releases f: nobody took it.
func sendFrame(ctx context.Context, frames chan<- terminal.Frame, f terminal.Frame) error {
	err := send(ctx, frames, f)
	if err != nil && f.Release != nil {
		f.Release()
	}
	return err
}

// send delivers v on ch unless ctx is done first.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case ch <- v:
		return nil
	}
}
