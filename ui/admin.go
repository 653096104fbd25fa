package ui

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// PIN attempts: after maxPINTries wrong PINs in a row the pad locks for
// pinLockout.
const (
	maxPINTries = 5
	pinLockout  = time.Minute
	// adminIdle closes the panel left open at an unattended kiosk.
	adminIdle = 2 * time.Minute
)

// adminPanel is the staff's panel behind a PIN: what the device is and
// runs, and the commands of Actions. The settings it changes (language,
// elderly mode, preview) are bound to the kiosk's, so the widgets hold no
// logic of their own.
type adminPanel struct {
	k      *Kiosk
	button *textButton // in the status bar

	root              *fyne.Container
	pin, pinLayer     *fyne.Container
	panel, panelLayer *fyne.Container

	pinTitle, pinMessage *widget.Label
	pinEntry             *widget.Entry
	pinOK, pinClear      *widget.Button
	pinCancel            *widget.Button
	tries                int
	lockedUntil          time.Time

	title                                      *widget.Label
	labels                                     map[string]*widget.Label // by their text's key
	device, venue, policy, versions, app, prob binding.String
	sync, gate, export, quit, close            *widget.Button
	folder                                     *widget.SelectEntry
	languages                                  *widget.RadioGroup
	languageLabel                              *widget.Label
	elderly, preview                           binding.Bool
	elderlyCheck, previewCheck                 *widget.Check
	message                                    binding.String
	idle                                       timer
}

// newAdminPanel returns the panel, closed and not yet built.
func newAdminPanel(k *Kiosk) *adminPanel {
	a := &adminPanel{k: k, root: container.NewStack()}
	a.root.Hide()
	return a
}

// build makes the panel's widgets when it first opens: Fyne's widgets
// draw their texts in the theme's fonts, which Fyne parses with its own
// and the system's (about 9 MB in memory, measured with pprof), and a
// kiosk whose panel stays closed need not.
func (a *adminPanel) build() {
	if a.built() {
		return
	}
	a.labels = map[string]*widget.Label{}
	a.buildPIN()
	a.buildPanel()
	a.labels["admin.pin.title"], a.labels["admin.title"], a.labels["admin.language"] = a.pinTitle, a.title, a.languageLabel
	a.pinLayer = container.NewCenter(container.NewStack(card(), container.NewPadded(a.pin)))
	a.panelLayer = container.NewPadded(container.NewStack(card(), container.NewPadded(a.panel)))
	a.retext() // before its first layout, which sizes it to its texts
	a.root.Objects = []fyne.CanvasObject{canvas.NewRectangle(colorVeilDark), a.pinLayer, a.panelLayer}
	a.root.Refresh()
}

// built reports whether the panel has been built.
func (a *adminPanel) built() bool { return a.pin != nil }

func (a *adminPanel) buildPIN() {
	a.pinTitle = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	a.pinMessage = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	a.pinEntry = widget.NewPasswordEntry()
	a.pinEntry.OnSubmitted = func(string) { a.submitPIN() }
	keys := container.NewGridWithColumns(3)
	for _, d := range "123456789" {
		keys.Add(a.digit(string(d)))
	}
	a.pinClear = widget.NewButton("", func() { a.pinEntry.SetText("") })
	a.pinOK = widget.NewButton("", a.submitPIN)
	a.pinOK.Importance = widget.HighImportance
	keys.Add(a.pinClear)
	keys.Add(a.digit("0"))
	keys.Add(a.pinOK)
	a.pinCancel = widget.NewButton("", a.closePanel)
	// Keys big enough for a finger: the grid fills a 300×260 box.
	pad := canvas.NewRectangle(color.Transparent)
	pad.SetMinSize(fyne.NewSize(300, 260))
	a.pin = container.NewVBox(a.pinTitle, a.pinEntry, container.NewStack(pad, keys), a.pinMessage, a.pinCancel)
}

func (a *adminPanel) digit(d string) *widget.Button {
	return widget.NewButton(d, func() { a.pinEntry.SetText(a.pinEntry.Text + d) })
}

func (a *adminPanel) buildPanel() {
	a.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	a.device, a.venue, a.policy = binding.NewString(), binding.NewString(), binding.NewString()
	a.versions, a.app, a.prob = binding.NewString(), binding.NewString(), binding.NewString()
	a.message = binding.NewString()
	info := container.New(layout.NewFormLayout())
	for _, f := range []struct {
		key   string
		value binding.String
	}{{"admin.device", a.device}, {"admin.venue", a.venue}, {"admin.policy", a.policy},
		{"admin.versions", a.versions}, {"admin.app", a.app}, {"admin.problems", a.prob}} {
		name := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		a.labels[f.key] = name
		value := widget.NewLabelWithData(f.value)
		value.Wrapping = fyne.TextWrapWord
		info.Add(name)
		info.Add(value)
	}
	a.sync = widget.NewButton("", a.run(func(x Actions) (string, error) {
		return tr(a.k.lang, "admin.sync.done"), x.SyncNow()
	}))
	a.gate = widget.NewButton("", a.run(func(x Actions) (string, error) {
		return tr(a.k.lang, "admin.gate.done"), x.TestGate()
	}))
	a.folder = widget.NewSelectEntry(nil)
	a.export = widget.NewButton("", a.run(func(x Actions) (string, error) {
		path, n, err := x.ExportCSV(strings.TrimSpace(a.folder.Text))
		return tr(a.k.lang, "admin.export.done", map[string]any{"N": n, "Path": path}), err
	}))
	a.quit = widget.NewButton("", a.run(func(x Actions) (string, error) { x.Quit(); return "", nil }))
	a.quit.Importance = widget.DangerImportance
	a.close = widget.NewButton("", a.closePanel)

	a.languageLabel = widget.NewLabel("")
	var names []string
	for _, l := range Languages() {
		names = append(names, tr(l, "language.name"))
	}
	a.languages = widget.NewRadioGroup(names, func(name string) {
		for _, l := range Languages() {
			if tr(l, "language.name") == name && l != a.k.lang {
				a.k.setLanguage(l)
			}
		}
	})
	a.languages.Horizontal = true
	a.languages.Required = true

	a.elderly, a.preview = binding.NewBool(), binding.NewBool()
	a.elderly.Set(a.k.elderly)
	a.preview.Set(a.k.prev.on.Load())
	a.elderly.AddListener(binding.NewDataListener(func() {
		if on, _ := a.elderly.Get(); on != a.k.elderly {
			a.k.setElderly(on)
		}
	}))
	a.preview.AddListener(binding.NewDataListener(func() {
		on, _ := a.preview.Get()
		a.k.prev.set(on)
	}))
	a.elderlyCheck = widget.NewCheckWithData("", a.elderly)
	a.previewCheck = widget.NewCheckWithData("", a.preview)

	message := widget.NewLabelWithData(a.message)
	message.Wrapping = fyne.TextWrapWord
	actions := container.NewVBox(
		container.NewGridWithColumns(2, a.sync, a.gate),
		a.folder, a.export,
		container.NewHBox(a.languageLabel, a.languages),
		a.elderlyCheck, a.previewCheck,
		message)
	a.panel = container.NewBorder(a.title, container.NewHBox(layout.NewSpacer(), a.quit, a.close), nil, nil,
		container.NewGridWithColumns(2, container.NewVScroll(info), container.NewVScroll(actions)))
}

// card is the background of the PIN pad and the panel.
func card() *canvas.Rectangle {
	r := canvas.NewRectangle(colorPanel)
	r.CornerRadius = 12
	return r
}

// run returns a button's handler that runs do with the actions and
// reports its outcome in the panel.
func (a *adminPanel) run(do func(Actions) (string, error)) func() {
	return func() {
		a.touch()
		if a.k.opts.Actions == nil {
			a.message.Set(tr(a.k.lang, "admin.failed", map[string]any{"Err": "no actions"}))
			return
		}
		done, err := do(a.k.opts.Actions)
		if err != nil {
			a.message.Set(tr(a.k.lang, "admin.failed", map[string]any{"Err": err.Error()}))
			return
		}
		a.message.Set(done)
	}
}

// open shows the PIN pad.
func (a *adminPanel) open() {
	a.build()
	a.pinEntry.SetText("")
	a.pinMessage.SetText("")
	if a.k.opts.CheckPIN == nil {
		a.pinMessage.SetText(tr(a.k.lang, "admin.pin.disabled"))
	}
	a.message.Set("")
	a.panelLayer.Hide()
	a.pinLayer.Show()
	a.root.Show()
	a.touch()
}

// submitPIN opens the panel for the right PIN.
func (a *adminPanel) submitPIN() {
	a.touch()
	now := a.k.clock.Now()
	pin := a.pinEntry.Text
	a.pinEntry.SetText("")
	switch {
	case a.k.opts.CheckPIN == nil:
		a.pinMessage.SetText(tr(a.k.lang, "admin.pin.disabled"))
		return
	case now.Before(a.lockedUntil):
		a.pinMessage.SetText(trN(a.k.lang, "admin.pin.locked", int(a.lockedUntil.Sub(now).Seconds()+0.999)))
		return
	}
	if !a.k.opts.CheckPIN(pin) {
		a.tries++
		a.pinMessage.SetText(tr(a.k.lang, "admin.pin.wrong"))
		if a.tries >= maxPINTries {
			a.tries, a.lockedUntil = 0, now.Add(pinLockout)
			a.k.opts.Logger.Warn("ui: admin PIN pad locked after wrong PINs", "tries", maxPINTries, "for", pinLockout)
			a.pinMessage.SetText(trN(a.k.lang, "admin.pin.locked", int(pinLockout.Seconds())))
		}
		return
	}
	a.tries = 0
	a.pinLayer.Hide()
	if x := a.k.opts.Actions; x != nil {
		folders := x.Folders()
		a.folder.SetOptions(folders)
		if a.folder.Text == "" && len(folders) > 0 {
			a.folder.SetText(folders[0])
		}
	}
	a.update()
	a.panelLayer.Show()
}

// touch keeps the panel open for another adminIdle.
func (a *adminPanel) touch() {
	if a.idle != nil {
		a.idle.Stop()
	}
	a.idle = a.k.clock.AfterFunc(adminIdle, func() { a.k.do(a.closePanel) })
}

func (a *adminPanel) closePanel() {
	if a.idle != nil {
		a.idle.Stop()
		a.idle = nil
	}
	if a.built() {
		a.pinEntry.SetText("")
	}
	a.root.Hide()
}

// update shows the kiosk's status in the panel.
func (a *adminPanel) update() {
	if !a.built() {
		return
	}
	s, lang := a.k.status, a.k.lang
	a.device.Set(s.Device)
	a.venue.Set(s.Venue)
	a.policy.Set(policyText(s.Policy, lang))
	a.versions.Set(strings.Join(s.Versions, ", "))
	a.app.Set(s.Version)
	problems := strings.Join(s.Problems, "; ")
	if problems == "" {
		problems = tr(lang, "admin.none")
	}
	a.prob.Set(problems)
}

// policyText summarises p for staff.
func policyText(p PolicySummary, lang string) string {
	parts := []string{fmt.Sprintf("v%d", p.Version)}
	if p.NATMaxAge > 0 {
		parts = append(parts, trN(lang, "policy.nat", int(p.NATMaxAge.Hours())))
	} else {
		parts = append(parts, tr(lang, "policy.nat.none"))
	}
	if p.MinVaxDoses > 0 {
		parts = append(parts, trN(lang, "policy.vax", p.MinVaxDoses))
	} else {
		parts = append(parts, tr(lang, "policy.vax.none"))
	}
	if len(p.Formats) > 0 {
		parts = append(parts, tr(lang, "policy.formats", map[string]any{"List": strings.Join(p.Formats, ", ")}))
	} else {
		parts = append(parts, tr(lang, "policy.formats.all"))
	}
	return strings.Join(parts, " · ")
}

// retext writes the panel in the kiosk's language.
func (a *adminPanel) retext() {
	lang := a.k.lang
	a.button.SetText(tr(lang, "status.admin"))
	if !a.built() {
		return
	}
	for _, b := range []struct {
		b   *widget.Button
		key string
	}{{a.pinOK, "admin.ok"}, {a.pinClear, "admin.clear"}, {a.pinCancel, "admin.cancel"},
		{a.sync, "admin.sync"}, {a.gate, "admin.gate"}, {a.export, "admin.export"}, {a.quit, "admin.quit"}, {a.close, "admin.close"}} {
		b.b.SetText(tr(lang, b.key))
	}
	for key, l := range a.labels {
		l.SetText(tr(lang, key))
	}
	for _, c := range []struct {
		c   *widget.Check
		key string
	}{{a.elderlyCheck, "admin.elderly"}, {a.previewCheck, "admin.preview"}} {
		c.c.Text = tr(lang, c.key)
		c.c.Refresh()
	}
	a.folder.SetPlaceHolder(tr(lang, "admin.export.folder"))
	a.languages.SetSelected(tr(lang, "language.name"))
	if on, _ := a.elderly.Get(); on != a.k.elderly {
		a.elderly.Set(a.k.elderly)
	}
	a.update()
}
