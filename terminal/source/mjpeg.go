package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fuscan/fuscan/terminal"
)

// MaxMJPEGPart bounds one part of an MJPEG stream, in bytes: a larger part
// fails the stream.
const MaxMJPEGPart = 16 << 20

// mjpegStall is how long an mjpeg: source waits for the response
// headers, and then for each read of the stream, before Run fails.
const mjpegStall = 10 * time.Second

// maxPreamble bounds what is read before the first boundary line to learn
// how the camera writes its boundary.
const maxPreamble = 4 << 10

// mjpegSource reads an IP camera's multipart/x-mixed-replace stream.
type mjpegSource struct {
	url   string // the camera's, as given
	shown string // url with its password redacted, for messages
	stall time.Duration
	opts  Options
}

// openMJPEG takes cam, everything after "mjpeg:": the camera's own URL,
// query and all.
func openMJPEG(cam string, o Options) (Source, error) {
	u, err := url.Parse(cam)
	var ue *url.Error
	if errors.As(err, &ue) {
		// Not ue itself, which quotes the URL with its password.
		return nil, fmt.Errorf("camera URL: %w", ue.Err)
	}
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("camera URL %q: want mjpeg:http://HOST/PATH or mjpeg:https://HOST/PATH", u.Redacted())
	}
	return &mjpegSource{url: cam, shown: u.Redacted(), stall: mjpegStall, opts: o}, nil
}

// errStalled cancels a request that waited too long for data.
var errStalled = errors.New("stalled")

// Run sends a frame for each JPEG part of the camera's stream until ctx
// is done or the stream fails or ends. Parts that do not decode are
// skipped with a log line (one for every skipEvery).
func (s *mjpegSource) Run(ctx context.Context, frames chan<- terminal.Frame, _ chan<- terminal.Scan) error {
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(s.stall, func() { cancel(errStalled) })
	defer watchdog.Stop()
	err := s.run(ctx, watchdog, frames)
	switch {
	case parent.Err() != nil:
		return parent.Err()
	case errors.Is(context.Cause(ctx), errStalled):
		return fmt.Errorf("source: mjpeg: %s: no data for %v", s.shown, s.stall)
	case err != nil:
		return fmt.Errorf("source: mjpeg: %s: %w", s.shown, err)
	}
	return nil
}

func (s *mjpegSource) run(ctx context.Context, watchdog *time.Timer, frames chan<- terminal.Frame) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// Not the *url.Error, which repeats the URL with its password.
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	boundary, err := boundaryParam(resp.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	body := &stallReader{r: resp.Body, watchdog: watchdog, stall: s.stall}
	return s.parts(ctx, body, boundary, frames)
}

// boundaryParam returns the boundary of a multipart content type.
func boundaryParam(contentType string) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return "", fmt.Errorf("content type %q: want multipart/x-mixed-replace", contentType)
	}
	if params["boundary"] == "" {
		return "", fmt.Errorf("content type %q has no boundary", contentType)
	}
	return params["boundary"], nil
}

// parts reads the stream body, whose parts boundary delimits, and sends a
// frame for each JPEG part. It returns an error when the stream ends or
// fails, or when ctx is done.
func (s *mjpegSource) parts(ctx context.Context, body *stallReader, boundary string, frames chan<- terminal.Frame) error {
	br := bufio.NewReaderSize(body, 64<<10)
	mr := multipart.NewReader(br, boundaryOf(br, boundary))
	skips := &skipLog{log: s.opts.Logger.With(slog.String("source", s.shown)), msg: "source: mjpeg: skipping a part that is no JPEG"}
	conv := newConverter()
	defer conv.close()
	var data bytes.Buffer
	var seq uint64
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("stream ended after %d frames", seq)
		}
		if err != nil {
			return fmt.Errorf("after %d frames: %w", seq, err)
		}
		if err := readPart(&data, part); err != nil {
			return fmt.Errorf("after %d frames: %w", seq, err)
		}
		at := s.opts.Now()
		img, err := conv.decodeJPEG(at, data.Bytes())
		if err != nil {
			skips.skip(err)
			continue
		}
		seq++
		// A consumer that takes its time is no stalled camera.
		body.pause()
		err = sendFrame(ctx, frames, conv.frame(img, at, seq))
		body.resume()
		if err != nil {
			return err
		}
	}
}

// readPart reads part into data: with a Content-Length, that many bytes
// and no more, so that a frame is decoded as soon as its bytes are in
// rather than when the next part starts; without, the whole part.
func readPart(data *bytes.Buffer, part *multipart.Part) error {
	limit := int64(MaxMJPEGPart + 1)
	if v := part.Header.Get("Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil && n > MaxMJPEGPart {
			return fmt.Errorf("a part of %d bytes, over the limit of %d", n, MaxMJPEGPart)
		}
		if err == nil && n >= 0 {
			limit = n
		}
	}
	data.Reset()
	if _, err := data.ReadFrom(io.LimitReader(part, limit)); err != nil {
		return err
	}
	if data.Len() > MaxMJPEGPart {
		return fmt.Errorf("a part over the limit of %d bytes", MaxMJPEGPart)
	}
	return nil
}

// boundaryOf returns the boundary that delimits the parts of body: b, or
// b without the leading "--" that some cameras put in their Content-Type
// but not in the stream. It decides on the first line of body that starts
// with "--", looking no further than maxPreamble bytes.
func boundaryOf(body *bufio.Reader, b string) string {
	trimmed := strings.TrimPrefix(b, "--")
	if trimmed == b {
		return b
	}
	for n := 1; ; n = min(max(n+1, body.Buffered()), maxPreamble) {
		p, err := body.Peek(n)
		for len(p) > 0 {
			end := bytes.IndexByte(p, '\n')
			if end < 0 {
				break // an incomplete line: peek further
			}
			if line := p[:end]; bytes.HasPrefix(line, []byte("--")) {
				if bytes.HasPrefix(line, []byte("--"+b)) {
					return b
				}
				return trimmed
			}
			p = p[end+1:]
		}
		if err != nil || n == maxPreamble {
			return trimmed
		}
	}
}

// stallReader postpones its watchdog, if any, at every read that returns
// data.
type stallReader struct {
	r        io.Reader
	watchdog *time.Timer // nil: none
	stall    time.Duration
}

func (r *stallReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.resume()
	}
	return n, err
}

// pause stops the watchdog until resume.
func (r *stallReader) pause() {
	if r.watchdog != nil {
		r.watchdog.Stop()
	}
}

// resume gives the stream stall more time from now.
func (r *stallReader) resume() {
	if r.watchdog != nil {
		r.watchdog.Reset(r.stall)
	}
}
