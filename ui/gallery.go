package ui

import (
	"errors"
	"fmt"
	"image"
	"slices"
	"time"

	"fyne.io/fyne/v2"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/credential"
)

// galleryNow is the gallery's frozen clock: every age on its screens is
// counted from it.
var galleryNow = time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)

// GalleryPIN is the PIN that opens the gallery's admin panel.
const GalleryPIN = "1234"

// Gallery shows each screen state of the kiosk with canned data, on a
// frozen clock: for design review (fuscan --gallery), screenshots and
// the golden tests.
type Gallery struct {
	k *Kiosk
}

// NewGallery returns a gallery in lang, in elderly mode or not.
func NewGallery(lang string, elderly bool) *Gallery {
	k := newKiosk(Options{Language: lang, Elderly: elderly, CheckPIN: func(pin string) bool { return pin == GalleryPIN },
		Actions: galleryActions{}}, frozenClock{}, func(f func()) { f() })
	return &Gallery{k: k}
}

// Content returns the gallery's canvas object, to fill a window.
func (g *Gallery) Content() fyne.CanvasObject { return g.k.Content() }

// GalleryStates returns the names of the gallery's states, in order.
func GalleryStates() []string {
	var names []string
	for _, s := range galleryStates {
		names = append(names, s.name)
	}
	return names
}

// Show puts the gallery in the state called name. Call it on the Fyne
// goroutine.
func (g *Gallery) Show(name string) error {
	i := slices.IndexFunc(galleryStates, func(s galleryState) bool { return s.name == name })
	if i < 0 {
		return fmt.Errorf("ui: no gallery state %q", name)
	}
	k := g.k
	k.queue = nil
	k.end()
	k.admin.closePanel()
	k.prev.set(false)
	k.status = galleryStatus()
	galleryStates[i].set(k)
	k.bar.set(viewStatus(k.status, k.clock.Now(), k.lang, k.opts.TrustWarnAge))
	k.admin.update()
	return nil
}

type galleryState struct {
	name string
	set  func(k *Kiosk)
}

var galleryStates = []galleryState{
	{"scan", func(k *Kiosk) {}},
	{"scan-hold-still", func(k *Kiosk) { k.showHint(terminal.HintHoldStill) }},
	{"scan-closer", func(k *Kiosk) { k.showHint(terminal.HintCloser) }},
	{"scan-less-glare", func(k *Kiosk) { k.showHint(terminal.HintLessGlare) }},
	{"scan-preview", func(k *Kiosk) {
		k.prev.set(true)
		drawTestCard(k.prev.front)
		k.prev.image.Image = k.prev.front
		k.prev.image.Refresh()
	}},
	{"pass-live", func(k *Kiosk) {
		k.arrive(sampleDecision(terminal.Pass, terminal.OK, credential.KindLive, "张*", "1234"))
	}},
	{"pass-dcc", func(k *Kiosk) {
		d := sampleDecision(terminal.Pass, terminal.OK, credential.KindDCC, "M*", "")
		d.NATResult, d.Color = credential.NATNone, credential.ColorNone
		k.arrive(d)
	}},
	{"warn-yellow-card", func(k *Kiosk) {
		k.arrive(sampleDecision(terminal.Warn, terminal.ColorYellow, credential.KindCard, "李*", "5678"))
	}},
	{"warn-travel", func(k *Kiosk) {
		d := sampleDecision(terminal.Warn, terminal.TravelRisk, credential.KindLive, "赵*", "0420")
		d.Travel = true
		k.arrive(d)
	}},
	{"deny-red", func(k *Kiosk) {
		k.arrive(sampleDecision(terminal.Deny, terminal.ColorRed, credential.KindDynamic, "王*", "0012"))
	}},
	{"deny-expired", func(k *Kiosk) {
		k.arrive(sampleDecision(terminal.Deny, terminal.Expired, credential.KindCard, "陈*", "7731"))
	}},
	{"refer-unknown", func(k *Kiosk) {
		k.arrive(terminal.Decision{Verdict: terminal.Refer, Reason: terminal.FormatUnknown, At: galleryNow})
	}},
	{"refer-clock", func(k *Kiosk) {
		k.arrive(sampleDecision(terminal.Refer, terminal.ClockUntrusted, credential.KindCard, "林*", "3305"))
	}},
	{"relatives", func(k *Kiosk) {
		for i, name := range []string{"张*", "张*", "刘*", "张*"} {
			k.queue = append(k.queue, sampleDecision(terminal.Pass, terminal.OK, credential.KindLive, name, fmt.Sprintf("%04d", 1234+i)))
		}
		k.advance()
	}},
	{"status-offline", func(k *Kiosk) {
		k.status.Online, k.status.OfflineSince, k.status.Backlog = false, galleryNow.Add(-47*time.Minute), 42
		k.status.TrustIssued = galleryNow.Add(-10 * 24 * time.Hour)
		k.status.TrustDemo = true
	}},
	{"status-expired", func(k *Kiosk) {
		k.status.TrustIssued, k.status.TrustExpires = galleryNow.Add(-40*24*time.Hour), galleryNow.Add(-time.Hour)
		k.status.Clock = "untrusted"
		k.status.Problems = []string{"trust data expired", "clock untrusted"}
	}},
	{"admin-pin", func(k *Kiosk) { k.admin.open() }},
	{"admin-wrong-pin", func(k *Kiosk) {
		k.admin.open()
		k.admin.pinEntry.SetText("0000")
		k.admin.submitPIN()
	}},
	{"admin-panel", func(k *Kiosk) {
		k.admin.open()
		k.admin.pinEntry.SetText(GalleryPIN)
		k.admin.submitPIN()
	}},
}

// galleryStatus is a healthy, online terminal.
func galleryStatus() Status {
	return Status{Device: "kiosk-0001", Venue: "fz-museum-east", Version: "fuscan dev",
		Linked: true, Online: true, Backlog: 0,
		TrustVersion: 7, TrustIssued: galleryNow.Add(-26 * time.Hour), TrustExpires: galleryNow.Add(30 * 24 * time.Hour),
		RevocationsIssued: galleryNow.Add(-3 * time.Hour), Clock: "ok",
		Policy:   PolicySummary{Version: 3, NATMaxAge: 72 * time.Hour, MinVaxDoses: 2},
		Versions: []string{"trust v7", "revocations v112", "policy v3"}}
}

// sampleDecision is a decision with canned holder data.
func sampleDecision(v terminal.Verdict, r terminal.Reason, kind credential.Kind, name, tail string) terminal.Decision {
	return terminal.Decision{Verdict: v, Reason: r, At: galleryNow, Format: kind, Issuer: "350000",
		Name: name, IDTail: tail, Color: credential.ColorGreen,
		NATAt: galleryNow.Add(-18 * time.Hour), NATResult: credential.NATNegative, VaxDoses: 3}
}

// drawTestCard fills img with a camera-like test picture: grey bars and a
// dark square where a code would be.
func drawTestCard(img *image.NRGBA) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := uint8(60 + 120*x/b.Dx())
			if x > b.Dx()*2/5 && x < b.Dx()*3/5 && y > b.Dy()/4 && y < b.Dy()*3/4 {
				g = uint8(20 + 200*((x/8+y/8)%2))
			}
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = g, g, g, 0xFF
		}
	}
}

// frozenClock stands still, and its timers never fire: a gallery state
// stays as it is.
type frozenClock struct{}

func (frozenClock) Now() time.Time                        { return galleryNow }
func (frozenClock) AfterFunc(time.Duration, func()) timer { return stopped{} }

type stopped struct{}

func (stopped) Stop() bool { return false }

// galleryActions answer the admin panel's buttons with canned outcomes.
type galleryActions struct{}

func (galleryActions) SyncNow() error  { return nil }
func (galleryActions) TestGate() error { return nil }
func (galleryActions) Quit()           {}
func (galleryActions) Folders() []string {
	return []string{"/media/staff/USB-STICK"}
}
func (galleryActions) ExportCSV(dir string) (string, int, error) {
	if dir == "" {
		return "", 0, errors.New("no folder")
	}
	return dir + "/fuscan-kiosk-0001-20261202T103000Z.csv", 128, nil
}
