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

// resultScreen shows the decisions of one verdict full-screen: its
// colour, its mark, the verdict in two languages, the masked holder, the
// credential kind, the badges and the reason. Each verdict has its own,
// so that its colour, mark and headline are drawn once, not per
// decision.
type resultScreen struct {
	fg                          color.Color
	mark                        *mark
	headline, headline2, holder *canvas.Text
	kind, badges, waiting       *canvas.Text
	message                     [2]*canvas.Text
	col                         *column
	root                        fyne.CanvasObject
}

func newResultScreen(v terminal.Verdict) *resultScreen {
	bg, fg := verdictColors(v)
	s := &resultScreen{fg: fg, mark: newMark(),
		headline: newText(fg, true), headline2: newText(fg, true), holder: newText(fg, true),
		kind: newText(fg, false), badges: newText(fg, false), waiting: newText(fg, false)}
	s.mark.set(v)
	s.message[0], s.message[1] = newText(fg, false), newText(fg, false)
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
	s.root = container.NewStack(canvas.NewRectangle(bg), s.col.box)
	s.root.Hide()
	return s
}

// show puts v on the screen; elderly mode leaves out the second
// headline and the kind, so that the larger text still fits.
func (s *resultScreen) show(v resultView, elderly bool) {
	headline2, kind := v.headline2, v.kind
	s.col.scale = 1
	if elderly {
		headline2, kind = "", ""
		s.col.scale = elderlyScale
	}
	message := [2]string{}
	copy(message[:], v.message)
	for _, t := range []struct {
		text *canvas.Text
		s    string
	}{{s.headline, v.headline}, {s.headline2, headline2}, {s.holder, v.holder}, {s.kind, kind},
		{s.badges, v.badges}, {s.waiting, v.waiting}, {s.message[0], message[0]}, {s.message[1], message[1]}} {
		setText(t.text, t.s, s.fg)
	}
	s.col.relayout()
}

// clear removes everything personal from the screen once it is hidden.
func (s *resultScreen) clear() {
	for _, t := range []*canvas.Text{s.holder, s.kind, s.badges, s.message[0], s.message[1], s.waiting} {
		setText(t, "", s.fg)
	}
}
