package ui

import (
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// goldenSize is the size of the golden renders: a 7-inch kiosk panel.
var goldenSize = fyne.NewSize(800, 480)

// TestGalleryMarkup renders every state of every screen, in every
// language and in elderly mode, against its golden markup: what is on
// screen, where, in which colour and size.
func TestGalleryMarkup(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, Theme())
	for _, lang := range Languages() {
		for _, elderly := range []bool{false, true} {
			mode := lang
			if elderly {
				mode += "-elderly"
			}
			g := NewGallery(lang, elderly)
			w := test.NewWindow(g.Content())
			w.SetPadded(false)
			w.Resize(goldenSize)
			for _, name := range GalleryStates() {
				if err := g.Show(name); err != nil {
					t.Fatal(err)
				}
				test.AssertRendersToMarkup(t, "gallery/"+mode+"/"+name+".xml", w.Canvas())
			}
			w.Close()
		}
	}
}

// TestGalleryImages renders the states a designer looks at first as
// images: each verdict, the scan screen, elderly mode and the admin
// panel. FUSCAN_GALLERY_ALL=1 renders every state (for review; the files
// land in testdata/failed/).
func TestGalleryImages(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, Theme())
	shots := []struct {
		lang    string
		elderly bool
		states  []string
	}{
		{"zh-CN", false, []string{"scan", "pass-live", "warn-yellow-card", "deny-red", "refer-unknown", "status-offline", "admin-wrong-pin"}},
		{"zh-CN", true, []string{"scan-closer", "pass-live"}},
		{"en", false, []string{"deny-expired", "relatives", "admin-panel"}},
	}
	if os.Getenv("FUSCAN_GALLERY_ALL") != "" {
		shots = nil
		for _, lang := range Languages() {
			shots = append(shots, struct {
				lang    string
				elderly bool
				states  []string
			}{lang, false, GalleryStates()}, struct {
				lang    string
				elderly bool
				states  []string
			}{lang, true, GalleryStates()})
		}
	}
	for _, s := range shots {
		g := NewGallery(s.lang, s.elderly)
		w := test.NewWindow(g.Content())
		w.SetPadded(false)
		w.Resize(goldenSize)
		mode := s.lang
		if s.elderly {
			mode += "-elderly"
		}
		for _, name := range s.states {
			if err := g.Show(name); err != nil {
				t.Fatal(err)
			}
			test.AssertRendersToImage(t, "gallery/"+mode+"/"+name+".png", w.Canvas())
		}
		w.Close()
	}
}
