package source_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/terminal/source"
)

// TestV4L2Device streams a few frames from /dev/video0, when there is one.
func TestV4L2Device(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("v4l2 cameras need Linux")
	}
	if _, err := os.Stat("/dev/video0"); err != nil {
		t.Skipf("no camera to test with: %v", err)
	}
	var log bytes.Buffer
	s, err := source.Open("v4l2:/dev/video0?width=640&height=480", options(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := collect(t, s, 3)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: got %d frames and %v, want 3 and context.Canceled; log:\n%s", len(frames), err, log.String())
	}
	for i, f := range frames {
		if f.Image.Bounds().Empty() || f.Seq != uint64(i+1) {
			t.Errorf("frame %d: got %v pixels, Seq %d; want an image, Seq %d", i, f.Image.Bounds(), f.Seq, i+1)
		}
		if _, ok := f.Image.(*image.YCbCr); !ok {
			if _, ok := f.Image.(*image.Gray); !ok {
				t.Errorf("frame %d: got %T, want *image.YCbCr or *image.Gray", i, f.Image)
			}
		}
	}
}

// TestV4L2NoDevice checks that a camera that is not there, or a file that
// is no camera, is an error for the caller to retry.
func TestV4L2NoDevice(t *testing.T) {
	if runtime.GOOS != "linux" {
		_, err := source.Open("v4l2:/dev/video0", nil)
		if !errors.Is(err, source.ErrUnsupported) {
			t.Errorf("Open: got %v, want ErrUnsupported", err)
		}
		return
	}
	notCamera := filepath.Join(t.TempDir(), "video9")
	if err := os.WriteFile(notCamera, []byte("frames"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dev, want string }{
		{filepath.Join(t.TempDir(), "video0"), "no such file"},
		{notCamera, "source: v4l2: " + notCamera},
	} {
		s, err := source.Open("v4l2:"+tc.dev, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := collect(t, s, -1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run on %s: got %v, want an error containing %q", tc.dev, err, tc.want)
		}
	}
}
