package source_test

import (
	"strings"
	"testing"

	"github.com/fuscan/fuscan/terminal/source"
)

// FuzzOpen checks that Open never panics and that its errors say where they
// come from.
func FuzzOpen(f *testing.F) {
	for _, tc := range openCases {
		f.Add(tc.url)
	}
	f.Fuzz(func(t *testing.T, url string) {
		_, err := source.Open(url, nil)
		if err != nil && !strings.HasPrefix(err.Error(), "source: ") {
			t.Errorf("Open(%q): got %q, want it prefixed with %q", url, err, "source: ")
		}
	})
}

// FuzzLines checks that a line source never panics, and sends only
// trimmed, non-empty texts within the limit.
func FuzzLines(f *testing.F) {
	f.Add("first\r\n\n   \r\n  second  \nlast")
	f.Add(strings.Repeat("x", source.MaxLineLen+1) + "\nok\n")
	f.Fuzz(func(t *testing.T, in string) {
		texts, _ := readStdin(t, in)
		for _, tx := range texts {
			if tx.Text == "" || len(tx.Text) > source.MaxLineLen || strings.TrimSpace(tx.Text) != tx.Text || strings.Contains(tx.Text, "\n") {
				t.Errorf("got text %.80q, want a trimmed line of 1 to %d bytes", tx.Text, source.MaxLineLen)
			}
		}
	})
}
