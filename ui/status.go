package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Status is what the status bar and the admin panel show of the terminal;
// cmd/fuscan fills it from the engine's health.
type Status struct {
	Device, Venue string
	Version       string // the app's version

	// Linked is whether a hub is configured; without one the terminal is
	// offline by design and Online and OfflineSince mean nothing.
	Linked       bool
	Online       bool
	OfflineSince time.Time // zero: unknown, or online
	Backlog      uint64    // records the hub has not acknowledged

	TrustVersion uint64
	TrustIssued  time.Time // zero: unknown
	TrustExpires time.Time // zero: never
	TrustDemo    bool      // the published demo keys are trusted
	// RevocationsIssued is when the revocation list in effect was
	// issued; zero: unknown (it came with the trust data).
	RevocationsIssued time.Time

	// Clock is ok, untrusted or skewed (from the hub's); empty: ok.
	Clock string

	// Policy summarises the venue policy for the admin panel; Versions
	// lists the data versions in effect ("trust v3", "policy v2"), and
	// Problems why the terminal is not healthy.
	Policy   PolicySummary
	Versions []string
	Problems []string
}

// PolicySummary is what the admin panel says of the venue policy.
type PolicySummary struct {
	Version     uint64
	NATMaxAge   time.Duration // zero: no nucleic-acid check
	MinVaxDoses int           // zero: no vaccine check
	Formats     []string      // accepted formats; nil: all
}

// level is how an item of the status bar looks: fine, amber or red.
type level uint8

const (
	levelOK level = iota
	levelAmber
	levelRed
	levelGood // online: green
)

func (l level) color() color.Color {
	switch l {
	case levelAmber:
		return colorAmber
	case levelRed:
		return colorRed
	case levelGood:
		return colorGood
	}
	return colorMuted
}

// statusItem is one item of the status bar.
type statusItem struct {
	text  string
	level level
}

// viewStatus returns the status bar's items for s at now, in lang; the
// trust data and the revocation list turn amber past warnAge and red past
// their expiry.
func viewStatus(s Status, now time.Time, lang string, warnAge time.Duration) []statusItem {
	var items []statusItem
	switch {
	case !s.Linked:
		items = append(items, statusItem{tr(lang, "status.nohub"), levelOK})
	case s.Online:
		items = append(items, statusItem{tr(lang, "status.online"), levelGood})
	default:
		since := "?"
		if !s.OfflineSince.IsZero() {
			since = s.OfflineSince.In(now.Location()).Format("15:04")
		}
		items = append(items, statusItem{tr(lang, "status.offline", map[string]any{"Since": since}), levelAmber})
	}
	backlog := levelOK
	if s.Backlog > 0 && s.Linked && !s.Online {
		backlog = levelAmber
	}
	items = append(items, statusItem{trN(lang, "status.backlog", s.Backlog), backlog})

	expired := !s.TrustExpires.IsZero() && !now.Before(s.TrustExpires)
	if expired {
		items = append(items, statusItem{tr(lang, "status.trust.expired", map[string]any{"Version": s.TrustVersion}), levelRed})
	} else {
		items = append(items, statusItem{tr(lang, "status.trust", map[string]any{"Version": s.TrustVersion,
			"Age": age(lang, s.TrustIssued, now)}), ageLevel(s.TrustIssued, now, warnAge)})
	}
	rev := s.RevocationsIssued
	if rev.IsZero() {
		rev = s.TrustIssued
	}
	revLevel := ageLevel(rev, now, warnAge)
	if expired {
		revLevel = levelRed
	}
	items = append(items, statusItem{tr(lang, "status.revocations", map[string]any{"Age": age(lang, rev, now)}), revLevel})
	if s.TrustDemo {
		items = append(items, statusItem{tr(lang, "status.demo"), levelAmber})
	}
	switch s.Clock {
	case "", "ok":
		items = append(items, statusItem{tr(lang, "status.clock.ok"), levelOK})
	case "skewed":
		items = append(items, statusItem{tr(lang, "status.clock.skewed"), levelAmber})
	default:
		items = append(items, statusItem{tr(lang, "status.clock.untrusted"), levelRed})
	}
	items = append(items, statusItem{s.Device + " · " + s.Venue, levelOK}, statusItem{s.Version, levelOK})
	return items
}

// ageLevel is amber once t is older than warnAge.
func ageLevel(t, now time.Time, warnAge time.Duration) level {
	if !t.IsZero() && now.Sub(t) > warnAge {
		return levelAmber
	}
	return levelOK
}

// age says how old something issued at t is, in whole minutes, hours or
// days; "?" when t is unknown.
func age(lang string, t, now time.Time) string {
	if t.IsZero() {
		return "?"
	}
	d := max(now.Sub(t), 0)
	switch {
	case d < time.Hour:
		return trN(lang, "age.minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return trN(lang, "age.hours", int(d.Hours()))
	}
	return trN(lang, "age.days", int(d.Hours()/24))
}

// statusBar shows the status items in a row, with the admin button at
// its end. It lays its items out itself, so that the status of every
// second repaints only the items that changed.
type statusBar struct {
	bg    *canvas.Rectangle
	texts []*canvas.Text
	admin *textButton
	box   *fyne.Container
}

// maxItems bounds the status bar's items (viewStatus gives up to 8).
const maxItems = 10

func newStatusBar(admin *textButton) *statusBar {
	b := &statusBar{bg: canvas.NewRectangle(colorBar), admin: admin}
	objs := []fyne.CanvasObject{b.bg}
	for range maxItems {
		t := newText(colorMuted, false)
		t.Alignment = fyne.TextAlignLeading
		b.texts = append(b.texts, t)
		objs = append(objs, t)
	}
	b.box = container.New(b, append(objs, admin)...)
	return b
}

// set shows items; called on the UI goroutine.
func (b *statusBar) set(items []statusItem) {
	for i, t := range b.texts {
		if i < len(items) {
			setText(t, items[i].text, items[i].level.color())
		} else {
			setText(t, "", colorMuted)
		}
	}
	b.Layout(nil, b.box.Size())
}

// textButton is a flat button of one text in the kiosk's font, the
// status bar's way into the admin panel: a Fyne button would draw its text
// in the theme's fonts, which Fyne parses with its own and the system's
// (about 9 MB in memory, measured with pprof), on a kiosk whose panel may
// never open.
type textButton struct {
	widget.BaseWidget
	bg    *canvas.Rectangle
	text  *canvas.Text
	onTap func()
}

func newTextButton(onTap func()) *textButton {
	b := &textButton{bg: canvas.NewRectangle(colorPanel), text: newText(colorText, true), onTap: onTap}
	b.bg.CornerRadius = 6
	b.ExtendBaseWidget(b)
	return b
}

// SetText gives the button text.
func (b *textButton) SetText(text string) {
	setText(b.text, text, colorText)
	b.Refresh()
}

// Tapped implements fyne.Tappable.
func (b *textButton) Tapped(*fyne.PointEvent) { b.onTap() }

func (b *textButton) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(b.bg, container.NewPadded(b.text)))
}

// barEm is the status bar's text size in design units.
const barEm = 15

// barHeight is the status bar's height in design units.
const barHeight = barEm * 2.4

// Layout implements fyne.Layout.
func (b *statusBar) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	b.bg.Resize(size)
	unit := size.Height / barHeight
	pad := 14 * unit
	bw := b.admin.MinSize().Width
	b.admin.Resize(fyne.NewSize(bw, size.Height-4))
	b.admin.Move(fyne.NewPos(size.Width-bw-2, 2))
	// Items that do not fit shrink a little, then the last ones (the
	// version, the device) are left out: the first ones matter most.
	room := size.Width - bw - 2*pad
	textSize := barEm * unit
	width := func(ts float32) (w float32) {
		for _, t := range b.texts {
			if t.Text != "" {
				w += measure(t, ts).Width + 2*pad
			}
		}
		return w
	}
	if w := width(textSize); w > room {
		textSize *= max(room/w, 0.8)
	}
	x := pad
	for _, t := range b.texts {
		if t.TextSize != textSize {
			t.TextSize = textSize
			t.Refresh()
		}
		m := t.MinSize()
		if t.Text == "" || x+m.Width > room+pad {
			t.Hide()
			continue
		}
		t.Show()
		t.Move(fyne.NewPos(x, (size.Height-m.Height)/2))
		t.Resize(m)
		x += m.Width + 2*pad
	}
}

// MinSize implements fyne.Layout: the bar's height for a 600-row screen;
// the kiosk's layout scales it with the window (screenLayout).
func (b *statusBar) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(100, barHeight) }

// screenLayout puts the status bar along the bottom, its height following
// the window, and the screens above it.
type screenLayout struct{}

// Layout expects the screens, then the bar.
func (screenLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	bar := barHeight * unitFor(size)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(size.Width, size.Height-bar))
	objs[1].Move(fyne.NewPos(0, size.Height-bar))
	objs[1].Resize(fyne.NewSize(size.Width, bar))
}

func (screenLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(320, 200) }
