package qrcard

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// codeText returns a code text of n characters: the "FSC1:" prefix and then
// characters of the QR alphanumeric set, in an order varied enough to look
// like Base45.
func codeText(n int) string {
	const charset = "ABC123$%*+-./: 0456789DEFGHIJKLMNOPQRSTUVWXYZ"
	var b strings.Builder
	b.WriteString("FSC1:")
	for i := 0; b.Len() < n; i++ {
		b.WriteByte(charset[(i*7+i*i/5)%len(charset)])
	}
	return b.String()
}

// decodeQR reads the one QR code in img.
func decodeQR(t testing.TB, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
	if err != nil {
		t.Fatalf("binary bitmap: %v", err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		t.Fatalf("decode qr: %v", err)
	}
	return res.GetText()
}

func TestPNGRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		text string
		opts *ImageOptions
	}{
		{"short", "FSC1:ABC", nil},
		{"400", codeText(400), nil},
		{"700", codeText(700), nil},
		{"700 level H", codeText(700), &ImageOptions{Level: LevelH, ModulePx: 3}},
		{"450 level L small", codeText(450), &ImageOptions{Level: LevelL, ModulePx: 2, QuietZone: 2}},
		{"byte mode", "fsc1:lower case and ünïcode 张三", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePNG(&buf, tt.text, tt.opts); err != nil {
				t.Fatalf("WritePNG: %v", err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatalf("png.Decode: %v", err)
			}
			if got := decodeQR(t, img); got != tt.text {
				t.Errorf("decoded %q, want %q", got, tt.text)
			}
		})
	}
}

// TestMatrixAlphanumeric pins symbol sizes: in byte mode the longer texts
// would need versions 13, 20 and 25 at level M, that is 69, 97 and 117
// modules.
func TestMatrixAlphanumeric(t *testing.T) {
	tests := []struct {
		text  string
		level Level
		want  int
	}{
		{"FSC1:ABC", LevelM, 21},
		{codeText(300), LevelM, 57},
		{codeText(450), LevelM, 69},
		{codeText(700), LevelM, 85},
		{codeText(700), LevelL, 77},
		{codeText(700), LevelH, 113},
		{strings.Repeat("7", 7089), LevelL, 177}, // the most any QR code holds
	}
	for _, tt := range tests {
		m, err := Matrix(tt.text, tt.level)
		if err != nil {
			t.Fatalf("Matrix(%d characters, %v): %v", len(tt.text), tt.level, err)
		}
		if got := len(m); got != tt.want {
			t.Errorf("Matrix(%d characters, %v) has %d rows, want %d", len(tt.text), tt.level, got, tt.want)
		}
		for y, row := range m {
			if len(row) != len(m) {
				t.Fatalf("row %d has %d modules, want %d", y, len(row), len(m))
			}
		}
	}
}

func TestImageGeometry(t *testing.T) {
	text := codeText(400) // 65 modules at level M
	m, err := Matrix(text, LevelM)
	if err != nil {
		t.Fatal(err)
	}
	n := len(m)
	tests := []struct {
		name      string
		opts      *ImageOptions
		px, quiet int
	}{
		{"nil", nil, 8, 4},
		{"zero", &ImageOptions{}, 8, 4},
		{"module px", &ImageOptions{ModulePx: 3}, 3, 4},
		{"quiet zone", &ImageOptions{QuietZone: 10}, 8, 10},
		{"both", &ImageOptions{ModulePx: 1, QuietZone: 1}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Image(text, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := (n + 2*tt.quiet) * tt.px
			if got := img.Bounds(); got != image.Rect(0, 0, want, want) {
				t.Fatalf("bounds %v, want %v", got, image.Rect(0, 0, want, want))
			}
			// The quiet zone is white; the top-left finder pattern starts
			// dark right after it.
			q := tt.quiet * tt.px
			if got := img.GrayAt(q-1, q).Y; got != 0xff {
				t.Errorf("pixel left of the symbol is %d, want 255", got)
			}
			if got := img.GrayAt(q, q).Y; got != 0 {
				t.Errorf("first symbol pixel is %d, want 0", got)
			}
			// Every pixel matches its module.
			for y := 0; y < want; y++ {
				for x := 0; x < want; x++ {
					mx, my := x/tt.px-tt.quiet, y/tt.px-tt.quiet
					dark := mx >= 0 && my >= 0 && mx < n && my < n && m[my][mx]
					if got := img.GrayAt(x, y).Y == 0; got != dark {
						t.Fatalf("pixel (%d, %d) dark = %v, want %v", x, y, got, dark)
					}
				}
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestImageErrors(t *testing.T) {
	text := codeText(100)
	tests := []struct {
		name    string
		run     func() error
		wantIs  error
		wantMsg string
	}{
		{"empty", func() error { _, err := Matrix("", LevelM); return err }, ErrEmptyText, "qrcard: empty code text"},
		{"empty image", func() error { _, err := Image("", nil); return err }, ErrEmptyText, "qrcard: empty code text"},
		{"too long", func() error { _, err := Matrix(codeText(5000), LevelM); return err }, ErrTooLong, ""},
		{"too long at H", func() error { _, err := Matrix(codeText(2000), LevelH); return err }, ErrTooLong, ""},
		{"one digit too many", func() error { _, err := Matrix(strings.Repeat("7", 7090), LevelL); return err }, ErrTooLong, ""},
		{"far too long", func() error { _, err := Image(codeText(1<<20), nil); return err }, ErrTooLong, ""},
		{"bad level", func() error { _, err := Matrix(text, Level(7)); return err }, nil, "qrcard: unknown error-correction level 7"},
		{"bad utf-8", func() error { _, err := Matrix("FSC1:\xff", LevelM); return err }, nil, "qrcard: code text is not valid utf-8"},
		{"negative module", func() error { _, err := Image(text, &ImageOptions{ModulePx: -1}); return err }, nil, ""},
		{"negative quiet", func() error { _, err := Image(text, &ImageOptions{QuietZone: -4}); return err }, nil, ""},
		{"huge quiet", func() error { _, err := Image(text, &ImageOptions{QuietZone: 1 << 40}); return err }, nil, ""},
		{"image too big", func() error { _, err := Image(text, &ImageOptions{ModulePx: 500}); return err }, nil, ""},
		{"write fails", func() error { return WritePNG(failingWriter{}, text, nil) }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil {
				t.Fatal("got nil error, want one")
			}
			if !strings.HasPrefix(err.Error(), "qrcard: ") {
				t.Errorf("got error %q, want it prefixed %q", err, "qrcard: ")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("got error %v, want one wrapping %v", err, tt.wantIs)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("got error %q, want %q", err, tt.wantMsg)
			}
		})
	}
}

func TestLevelString(t *testing.T) {
	tests := []struct {
		l    Level
		want string
	}{{LevelM, "M"}, {LevelL, "L"}, {LevelQ, "Q"}, {LevelH, "H"}, {Level(9), "Level(9)"}}
	for _, tt := range tests {
		if got := tt.l.String(); got != tt.want {
			t.Errorf("Level(%d).String() = %q, want %q", int(tt.l), got, tt.want)
		}
	}
}

func BenchmarkImage(b *testing.B) {
	text := codeText(450)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Image(text, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWritePNG(b *testing.B) {
	text := codeText(450)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WritePNG(&buf, text, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "png-bytes")
}

// FuzzImage checks that any text either fails cleanly or encodes, and that
// code texts in the alphanumeric set decode back unchanged. Other texts go
// into byte mode, where the decoder guesses the character set and may guess
// differently from the encoder.
func FuzzImage(f *testing.F) {
	for _, s := range []string{"FSC1:ABC", codeText(450), "", "\xff", "fsc1:张三"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		img, err := Image(text, &ImageOptions{ModulePx: 2})
		if err != nil {
			return
		}
		if strings.Trim(text, alphanumeric) != "" {
			return
		}
		if got := decodeQR(t, img); got != text {
			t.Errorf("decoded %q, want %q", got, text)
		}
	})
}

// alphanumeric is the QR alphanumeric character set.
const alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
