package credential

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sync"

	kzlib "github.com/klauspost/compress/zlib"
)

// MaxInflated bounds the size of a decompressed payload. Inflating stops at
// this many bytes, so a zlib bomb costs no more memory than this.
const MaxInflated = 16 << 10

type inflater struct {
	src bytes.Reader
	r   io.ReadCloser
	buf []byte
}

var inflaters = sync.Pool{New: func() any { return &inflater{buf: make([]byte, MaxInflated+1)} }}

// Inflate decompresses a zlib stream of at most MaxInflated bytes. Trailing
// bytes after the stream, a bad checksum, a preset dictionary or a larger
// output are errors. It
// uses klauspost/compress, whose decoder is faster than the standard
// library's on these short streams (inflating was a third of parsing a card).
func Inflate(data []byte) ([]byte, error) {
	// FLG bit 5 (FDICT): the stream needs a preset dictionary. None is
	// defined for our formats, and DICTID 1 (the Adler-32 of an empty one)
	// would otherwise slip through.
	if len(data) >= 2 && data[1]&0x20 != 0 {
		return nil, errors.New("zlib header: a preset dictionary (FDICT) is not allowed")
	}
	z := inflaters.Get().(*inflater)
	defer inflaters.Put(z)
	z.src.Reset(data)
	var err error
	if z.r == nil {
		z.r, err = kzlib.NewReader(&z.src)
	} else {
		err = z.r.(kzlib.Resetter).Reset(&z.src, nil)
	}
	if err != nil {
		z.r = nil
		return nil, fmt.Errorf("zlib header: %w", err)
	}
	// Read to a clean io.EOF: only then has the checksum been checked. A
	// truncated stream ends in io.ErrUnexpectedEOF instead.
	n := 0
	for {
		m, err := z.r.Read(z.buf[n:])
		n += m
		// Before the io.EOF test: the last bytes may come with io.EOF.
		if n > MaxInflated {
			return nil, fmt.Errorf("inflated size exceeds %d bytes", MaxInflated)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("zlib: %w", err)
		}
	}
	if z.src.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the zlib stream", z.src.Len())
	}
	return bytes.Clone(z.buf[:n]), nil
}

// deflaters pools zlib writers: each holds about 1 MB of state, far more
// than the codes it compresses.
var deflaters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestCompression) // the level is valid: no error
	return w
}}

// Deflate compresses data as a zlib stream at the best compression level.
func Deflate(data []byte) []byte {
	var b bytes.Buffer
	w := deflaters.Get().(*zlib.Writer)
	defer deflaters.Put(w)
	w.Reset(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}
