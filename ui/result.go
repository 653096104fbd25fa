package ui

import (
	"image/color"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/credential"
)

// resultView is what the result screen shows of a decision: nothing but
// the masked holder fields, never the code text or a full name.
type resultView struct {
	verdict   terminal.Verdict
	headline  string   // the verdict in the kiosk's language
	headline2 string   // and in the other language
	holder    string   // 张* ****1234
	kind      string   // the credential kind
	badges    string   // nucleic-acid age, vaccine doses, travel
	message   []string // the reason in plain words, one or two lines
	waiting   string   // how many more codes wait (relatives' codes)
}

// viewResult returns what the result screen shows of d in lang, with
// waiting more decisions queued behind it.
func viewResult(d *terminal.Decision, lang string, waiting int) resultView {
	v := resultView{
		verdict:   d.Verdict,
		headline:  tr(lang, "verdict."+verdictKey(d.Verdict)),
		headline2: tr(otherLang(lang), "verdict."+verdictKey(d.Verdict)),
		holder:    d.Holder(),
		message:   wrap(d.Reason.Message(reasonLang(lang))),
	}
	if d.Format != 0 {
		v.kind = tr(lang, "kind."+d.Format.String())
	}
	var badges []string
	switch {
	case d.NATResult == credential.NATPositive:
		badges = append(badges, tr(lang, "badge.nat.positive"))
	case d.NATResult == credential.NATNegative && !d.NATAt.IsZero():
		age := max(d.At.Sub(d.NATAt), 0)
		if age < 72*time.Hour {
			badges = append(badges, trN(lang, "badge.nat.hours", int(age.Hours())))
		} else {
			badges = append(badges, trN(lang, "badge.nat.days", int(age.Hours()/24)))
		}
	}
	if d.VaxDoses > 0 {
		badges = append(badges, trN(lang, "badge.vax", d.VaxDoses))
	}
	if d.Travel {
		badges = append(badges, tr(lang, "badge.travel"))
	}
	v.badges = strings.Join(badges, "   ·   ")
	if waiting > 0 {
		v.waiting = trN(lang, "result.waiting", waiting)
	}
	return v
}

// verdictKey names a verdict in the translations; anything unknown is
// shown as refer, the verdict for "staff decide".
func verdictKey(v terminal.Verdict) string {
	switch v {
	case terminal.Pass, terminal.Warn, terminal.Deny:
		return v.String()
	}
	return terminal.Refer.String()
}

// wrap splits a message longer than a line into two, at the break
// nearest its middle: a space, or after Chinese punctuation.
func wrap(s string) []string {
	n := utf8.RuneCountInString(s)
	wide := strings.ContainsFunc(s, func(r rune) bool { return r >= 0x2E80 })
	if wide && n <= 16 || !wide && n <= 44 {
		return []string{s}
	}
	runes := []rune(s)
	// A break after punctuation in the middle half reads best; else the
	// space nearest the middle.
	best, bestScore := -1, n
	for _, punct := range []bool{true, false} {
		for i, r := range runes {
			after := strings.ContainsRune("，：；。、", r) || r == ' ' && i > 0 && strings.ContainsRune(",.:;", runes[i-1])
			if r != ' ' && !after || punct && !after {
				continue
			}
			if cut, score := i+1, abs(i+1-n/2); score < bestScore && (!punct || score <= n/4) {
				best, bestScore = cut, score
			}
		}
		if best > 0 {
			break
		}
	}
	if best <= 0 || best >= n {
		best = n / 2
	}
	return []string{strings.TrimSpace(string(runes[:best])), strings.TrimSpace(string(runes[best:]))}
}

func abs(n int) int { return max(n, -n) }

// resultScreen shows one decision full-screen: its colour, its mark, the
// verdict in two languages, the masked holder, the credential kind, the
// badges and the reason.
type resultScreen struct {
	bg                          *canvas.Rectangle
	mark                        *mark
	headline, headline2, holder *canvas.Text
	kind, badges, waiting       *canvas.Text
	message                     [2]*canvas.Text
	col                         *column
	root                        fyne.CanvasObject
}

func newResultScreen() *resultScreen {
	s := &resultScreen{bg: canvas.NewRectangle(colorPass), mark: newMark(),
		headline: newText(colorText, true), headline2: newText(colorText, true), holder: newText(colorText, true),
		kind: newText(colorText, false), badges: newText(colorText, false), waiting: newText(colorText, false)}
	s.message[0], s.message[1] = newText(colorText, false), newText(colorText, false)
	s.col = newColumn(10,
		boxRow(s.mark, 150, 150),
		textRow(s.headline, 88),
		textRow(s.headline2, 30),
		textRow(s.holder, 44),
		textRow(s.kind, 26),
		textRow(s.badges, 26),
		textRow(s.message[0], 32),
		textRow(s.message[1], 32),
		textRow(s.waiting, 22),
	)
	s.root = container.NewStack(s.bg, s.col)
	return s
}

// show puts v on the screen; elderly mode leaves out the second
// headline and the kind, so that the larger text still fits.
func (s *resultScreen) show(v resultView, elderly bool) {
	bg, fg := verdictColors(v.verdict)
	s.bg.FillColor = bg
	s.mark.set(v.verdict)
	set := func(t *canvas.Text, text string, c color.Color) {
		t.Text, t.Color = text, c
	}
	set(s.headline, v.headline, fg)
	set(s.headline2, v.headline2, fg)
	set(s.holder, v.holder, fg)
	set(s.kind, v.kind, fg)
	set(s.badges, v.badges, fg)
	set(s.waiting, v.waiting, fg)
	for i := range s.message {
		text := ""
		if i < len(v.message) {
			text = v.message[i]
		}
		set(s.message[i], text, fg)
	}
	if elderly {
		s.headline2.Text, s.kind.Text = "", ""
		s.col.scale = elderlyScale
	} else {
		s.col.scale = 1
	}
	s.bg.Refresh()
	s.col.Refresh()
}

// clear removes everything personal from the screen once it is hidden.
func (s *resultScreen) clear() {
	for _, t := range []*canvas.Text{s.holder, s.kind, s.badges, s.message[0], s.message[1], s.waiting} {
		t.Text = ""
	}
}
