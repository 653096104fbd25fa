package ui

import (
	"context"
	"encoding/json"
	"image"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/credential"
)

// fakeClock is a clock whose time moves only when the test says.
type fakeClock struct {
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool { was := !t.stopped; t.stopped = true; return was }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) timer {
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// advance moves the clock by d, firing the timers that fall due, in order.
func (c *fakeClock) advance(d time.Duration) {
	end := c.now.Add(d)
	for {
		slices.SortStableFunc(c.timers, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
		i := slices.IndexFunc(c.timers, func(t *fakeTimer) bool { return !t.stopped && !t.at.After(end) })
		if i < 0 {
			break
		}
		t := c.timers[i]
		c.timers = slices.Delete(c.timers, i, i+1)
		c.now = t.at
		t.f()
	}
	c.now = end
}

// fakeSound records the cues played.
type fakeSound struct{ played []string }

func (s *fakeSound) Play(cue string) { s.played = append(s.played, cue) }

// fakeActions records the admin panel's commands.
type fakeActions struct {
	synced, gates, quits int
	exported, folders    []string
}

func (a *fakeActions) SyncNow() error    { a.synced++; return nil }
func (a *fakeActions) TestGate() error   { a.gates++; return nil }
func (a *fakeActions) Quit()             { a.quits++ }
func (a *fakeActions) Folders() []string { return a.folders }
func (a *fakeActions) ExportCSV(dir string) (string, int, error) {
	a.exported = append(a.exported, dir)
	return filepath.Join(dir, "log.csv"), 3, nil
}

// newTestKiosk is a kiosk on a fake clock, in a test window, whose
// goroutine hand-offs run at once.
func newTestKiosk(t *testing.T, opts Options) (*Kiosk, *fakeClock, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	c := &fakeClock{now: galleryNow}
	k := newKiosk(opts, c, func(f func()) { f() })
	w := test.NewWindow(k.Content())
	w.SetPadded(false)
	w.Resize(goldenSize)
	t.Cleanup(w.Close)
	return k, c, w
}

func decision(v terminal.Verdict, name string) *terminal.Decision {
	d := sampleDecision(v, terminal.OK, credential.KindCard, name, "1234")
	return &d
}

func TestResultReturnsToScan(t *testing.T) {
	sound := &fakeSound{}
	k, c, _ := newTestKiosk(t, Options{Sound: sound})
	if err := k.Show(context.Background(), decision(terminal.Deny, "王*"), &terminal.Record{}); err != nil {
		t.Fatal(err)
	}
	if !k.result.root.Visible() || k.result.headline.Text != "禁止通行" || k.result.holder.Text != "王* ****1234" {
		t.Fatalf("after Show: result visible %v, headline %q, holder %q; want 禁止通行 and 王* ****1234",
			k.result.root.Visible(), k.result.headline.Text, k.result.holder.Text)
	}
	if want := []string{"deny"}; !slices.Equal(sound.played, want) {
		t.Errorf("played %v, want %v", sound.played, want)
	}
	c.advance(DefaultResultTime - time.Millisecond)
	if !k.result.root.Visible() {
		t.Fatal("result gone before its time")
	}
	c.advance(time.Millisecond)
	if k.result.root.Visible() {
		t.Fatal("result still shown after its time")
	}
	for _, text := range []string{k.result.holder.Text, k.result.message[0].Text, k.result.badges.Text} {
		if text != "" {
			t.Errorf("after the result: %q still in the result screen, want nothing personal", text)
		}
	}
}

// TestRelativesInTurn: a burst of codes (a family's) each get their
// result for at least the minimum time, in order; a new code after the
// minimum replaces the result at once.
func TestRelativesInTurn(t *testing.T) {
	k, c, _ := newTestKiosk(t, Options{})
	names := []string{"张*", "李*", "王*", "赵*"}
	for _, n := range names {
		k.Show(context.Background(), decision(terminal.Pass, n), &terminal.Record{})
	}
	for i, n := range names {
		if got := k.result.holder.Text; !strings.HasPrefix(got, n) {
			t.Fatalf("result %d shows %q, want %s", i, got, n)
		}
		waiting := len(names) - 1 - i
		if got := k.result.waiting.Text != ""; got != (waiting > 0) {
			t.Errorf("result %d: waiting line %q with %d waiting", i, k.result.waiting.Text, waiting)
		}
		c.advance(DefaultMinResultTime)
	}
	if !k.result.root.Visible() {
		t.Fatal("the last result went before its full time")
	}
	k.Show(context.Background(), decision(terminal.Warn, "周*"), &terminal.Record{})
	if got := k.result.holder.Text; !strings.HasPrefix(got, "周*") {
		t.Errorf("a code after the minimum time: screen shows %q, want 周* at once", got)
	}
}

func TestQueueBounded(t *testing.T) {
	k, _, _ := newTestKiosk(t, Options{Logger: slog.New(slog.DiscardHandler)})
	for range 3 * MaxQueue {
		k.Show(context.Background(), decision(terminal.Pass, "张*"), &terminal.Record{})
	}
	if len(k.queue) != MaxQueue {
		t.Errorf("queue holds %d decisions, want at most %d", len(k.queue), MaxQueue)
	}
}

func TestElderly(t *testing.T) {
	sound := &fakeSound{}
	k, c, _ := newTestKiosk(t, Options{Elderly: true, Sound: sound, Language: "en"})
	k.Show(context.Background(), decision(terminal.Pass, "张*"), &terminal.Record{})
	if want := []string{"pass", "voice/en/pass"}; !slices.Equal(sound.played, want) {
		t.Errorf("elderly mode played %v, want %v", sound.played, want)
	}
	c.advance(DefaultResultTime)
	if !k.result.root.Visible() {
		t.Error("elderly mode: result gone after the normal time, want it held twice as long")
	}
	c.advance(DefaultResultTime)
	if k.result.root.Visible() {
		t.Error("elderly mode: result still shown after twice the time")
	}
	normal, _, _ := newTestKiosk(t, Options{Language: "en"})
	if k.scan.col.scale < 1.5*normal.scan.col.scale {
		t.Errorf("elderly text scale %v, want at least 1.5 times %v", k.scan.col.scale, normal.scan.col.scale)
	}
	k.Hint(terminal.HintCloser)
	k.Hint(terminal.HintCloser)
	if got := sound.played[len(sound.played)-1]; got != "voice/en/closer" || slices.Index(sound.played, got) != len(sound.played)-1 {
		t.Errorf("hints spoken %v: want voice/en/closer once", sound.played)
	}
}

func TestHint(t *testing.T) {
	k, c, _ := newTestKiosk(t, Options{Language: "en"})
	k.Hint(terminal.HintLessGlare)
	if got := k.scan.hint.Text; got != "Tilt the code: too much glare" {
		t.Errorf("hint text %q", got)
	}
	c.advance(hintTime)
	if got := k.scan.hint.Text; got != "" {
		t.Errorf("hint %q still shown after its time", got)
	}
	k.Show(context.Background(), decision(terminal.Pass, "张*"), &terminal.Record{})
	k.Hint(terminal.HintCloser)
	if k.hint != terminal.HintNone {
		t.Error("a hint replaced nothing but was taken while a result is shown")
	}
}

// TestAdminPIN: the right PIN opens the panel, a wrong one does not, and
// five wrong ones lock the pad for a minute.
func TestAdminPIN(t *testing.T) {
	k, c, _ := newTestKiosk(t, Options{Language: "en", CheckPIN: func(p string) bool { return p == "2468" }})
	a := k.admin
	test.Tap(a.button)
	if !a.root.Visible() || !a.pinLayer.Visible() || a.panelLayer.Visible() {
		t.Fatal("tapping Admin did not show the PIN pad alone")
	}
	for _, d := range "1357" {
		test.Tap(buttonNamed(t, a.pin, string(d)))
	}
	test.Tap(a.pinOK)
	if a.panelLayer.Visible() || a.pinMessage.Text != "Wrong PIN" {
		t.Fatalf("wrong PIN: panel visible %v, message %q", a.panelLayer.Visible(), a.pinMessage.Text)
	}
	if a.pinEntry.Text != "" {
		t.Error("the wrong PIN stays in the entry")
	}
	for range maxPINTries - 1 {
		test.Type(a.pinEntry, "0000")
		test.Tap(a.pinOK)
	}
	test.Type(a.pinEntry, "2468")
	test.Tap(a.pinOK)
	if a.panelLayer.Visible() || !strings.Contains(a.pinMessage.Text, "wait 60 s") {
		t.Fatalf("after %d wrong PINs the right one: panel visible %v, message %q; want locked", maxPINTries, a.panelLayer.Visible(), a.pinMessage.Text)
	}
	c.now = c.now.Add(pinLockout)
	test.Type(a.pinEntry, "2468")
	test.Tap(a.pinOK)
	if !a.panelLayer.Visible() {
		t.Fatalf("right PIN after the lockout: panel hidden, message %q", a.pinMessage.Text)
	}
	test.Tap(a.close)
	if a.root.Visible() {
		t.Error("Close left the panel open")
	}
}

func TestAdminLockedWithoutPIN(t *testing.T) {
	k, _, _ := newTestKiosk(t, Options{Language: "en"})
	test.Tap(k.admin.button)
	test.Type(k.admin.pinEntry, "1234")
	test.Tap(k.admin.pinOK)
	if k.admin.panelLayer.Visible() || !strings.Contains(k.admin.pinMessage.Text, "No admin PIN") {
		t.Errorf("no PIN set: panel visible %v, message %q", k.admin.panelLayer.Visible(), k.admin.pinMessage.Text)
	}
}

func TestAdminIdleCloses(t *testing.T) {
	k, c, _ := newTestKiosk(t, Options{CheckPIN: func(string) bool { return true }})
	openPanel(t, k)
	c.advance(adminIdle)
	if k.admin.root.Visible() {
		t.Error("the admin panel stays open at an unattended kiosk")
	}
}

// openPanel opens the admin panel with any PIN the kiosk accepts.
func openPanel(t *testing.T, k *Kiosk) {
	t.Helper()
	test.Tap(k.admin.button)
	test.Type(k.admin.pinEntry, GalleryPIN)
	test.Tap(k.admin.pinOK)
	if !k.admin.panelLayer.Visible() {
		t.Fatalf("the admin panel did not open: %q", k.admin.pinMessage.Text)
	}
}

func TestAdminActions(t *testing.T) {
	actions := &fakeActions{folders: []string{"/media/usb0", "/media/usb1"}}
	k, _, _ := newTestKiosk(t, Options{Language: "en", Actions: actions, CheckPIN: func(string) bool { return true }})
	openPanel(t, k)
	a := k.admin
	test.Tap(a.sync)
	test.Tap(a.gate)
	dir := t.TempDir()
	if a.folder.Text != "/media/usb0" {
		t.Errorf("export folder %q, want the first folder offered, /media/usb0", a.folder.Text)
	}
	a.folder.SetText("")
	test.Type(a.folder, dir)
	test.Tap(a.export)
	if actions.synced != 1 || actions.gates != 1 || !slices.Equal(actions.exported, []string{dir}) {
		t.Errorf("actions %+v, want one sync, one gate test, an export to %s", actions, dir)
	}
	if got, _ := a.message.Get(); got != "Exported 3 records to "+filepath.Join(dir, "log.csv") {
		t.Errorf("export message %q", got)
	}
	test.Tap(a.quit)
	if actions.quits != 1 {
		t.Error("Quit did not quit")
	}
}

// TestLanguageSwitch: choosing English in the admin panel re-renders
// every screen in English, the result on screen included.
func TestLanguageSwitch(t *testing.T) {
	k, _, _ := newTestKiosk(t, Options{CheckPIN: func(string) bool { return true }})
	openPanel(t, k)
	if got := k.scan.prompt.Text; got != "请出示健康码，对准摄像头" {
		t.Fatalf("default prompt %q, want Chinese", got)
	}
	k.Show(context.Background(), decision(terminal.Deny, "王*"), &terminal.Record{})
	k.admin.languages.SetSelected("English")
	checks := []struct{ got, want string }{
		{k.scan.prompt.Text, "Show your health code to the camera"},
		{k.admin.sync.Text, "Sync now"},
		{k.admin.button.text.Text, "Admin"},
		{k.result.headline.Text, "DENY"},
		{k.result.headline2.Text, "禁止通行"},
		{k.result.message[0].Text, "Verified. Please go ahead."},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("after switching to English: %q, want %q", c.got, c.want)
		}
	}
	k.admin.languages.SetSelected("中文")
	if got := k.scan.prompt.Text; got != "请出示健康码，对准摄像头" {
		t.Errorf("back to Chinese: prompt %q", got)
	}
}

func TestElderlySwitch(t *testing.T) {
	k, _, _ := newTestKiosk(t, Options{CheckPIN: func(string) bool { return true }})
	openPanel(t, k)
	test.Tap(k.admin.elderlyCheck)
	if !k.elderly || k.scan.col.scale != elderlyScale {
		t.Errorf("after ticking elderly mode: elderly %v, scale %v", k.elderly, k.scan.col.scale)
	}
	test.Tap(k.admin.previewCheck)
	if !k.prev.on.Load() || !k.prev.image.Visible() {
		t.Error("ticking the preview did not turn it on")
	}
}

// buttonNamed finds the button labelled text in c.
func buttonNamed(t *testing.T, c fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(c) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}

func TestPreview(t *testing.T) {
	var queued []func()
	p := newPreview(func(f func()) { queued = append(queued, f) }, false)
	src := image.NewGray(image.Rect(0, 0, 1280, 720))
	for i := range src.Pix {
		src.Pix[i] = 200
	}
	p.frame(terminal.Frame{Image: src})
	if len(queued) != 0 {
		t.Fatal("a frame was taken while the preview is off")
	}
	p.set(true)
	front, back := p.front, p.back
	p.frame(terminal.Frame{Image: src})
	p.frame(terminal.Frame{Image: src})
	if len(queued) != 1 {
		t.Fatalf("%d swaps queued for two frames before the first was shown, want 1 (frames dropped while one waits)", len(queued))
	}
	queued[0]()
	if p.front != back || p.back != front || p.image.Image != back {
		t.Error("the buffers did not swap")
	}
	if got := p.front.Pix[:4]; !slices.Equal(got, []uint8{200, 200, 200, 255}) {
		t.Errorf("preview pixel %v, want the frame's grey 200", got)
	}
	p.frame(terminal.Frame{Image: src})
	if len(queued) != 2 {
		t.Error("no frame taken after the swap")
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"核验通过，请通行", []string{"核验通过，请通行"}},
		{"行程涉及风险地区，请工作人员核查一下吧", []string{"行程涉及风险地区，", "请工作人员核查一下吧"}},
		{"Verified. Please go ahead.", []string{"Verified. Please go ahead."}},
		{"Travel record includes a risk area: staff will check with you.",
			[]string{"Travel record includes a risk area:", "staff will check with you."}},
	} {
		if got := wrap(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("wrap(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestViewStatus(t *testing.T) {
	now := galleryNow
	base := galleryStatus()
	find := func(items []statusItem, prefix string) statusItem {
		for _, it := range items {
			if strings.HasPrefix(it.text, prefix) {
				return it
			}
		}
		t.Fatalf("no status item %q in %v", prefix, items)
		return statusItem{}
	}
	items := viewStatus(base, now, "en", DefaultTrustWarnAge)
	if it := find(items, "Online"); it.level != levelGood {
		t.Errorf("online: level %v", it.level)
	}
	if it := find(items, "Trust v7"); it.text != "Trust v7 · 26 h" || it.level != levelOK {
		t.Errorf("fresh trust: %+v", it)
	}
	old := base
	old.Online, old.OfflineSince, old.Backlog = false, now.Add(-time.Hour), 5
	old.TrustIssued, old.RevocationsIssued = now.Add(-8*24*time.Hour), now.Add(-8*24*time.Hour)
	items = viewStatus(old, now, "en", DefaultTrustWarnAge)
	for _, want := range []statusItem{{"Offline since 09:30", levelAmber}, {"To sync: 5", levelAmber},
		{"Trust v7 · 8 days", levelAmber}, {"Revocations · 8 days", levelAmber}} {
		if it := find(items, want.text); it != want {
			t.Errorf("offline, old trust: %+v, want %+v", it, want)
		}
	}
	expired := base
	expired.TrustExpires, expired.Clock = now, "untrusted"
	items = viewStatus(expired, now, "zh-CN", DefaultTrustWarnAge)
	for _, want := range []statusItem{{"信任数据 v7 已过期", levelRed}, {"时钟不可信", levelRed}} {
		if it := find(items, want.text); it != want {
			t.Errorf("expired trust: %+v, want %+v", it, want)
		}
	}
	if it := find(viewStatus(Status{}, now, "en", DefaultTrustWarnAge), "No hub"); it.level != levelOK {
		t.Errorf("no hub: %+v", it)
	}
}

// TestTranslations: every language file has every key English has, and
// every key the code asks for exists.
func TestTranslations(t *testing.T) {
	read := func(lang string) map[string]string {
		data, err := translationFiles.ReadFile("translations/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		return m
	}
	en := read("en")
	if langs := Languages(); langs[0] != DefaultLanguage || !slices.Contains(langs, "en") {
		t.Fatalf("Languages() = %v, want %s first and en", langs, DefaultLanguage)
	}
	for _, lang := range Languages() {
		m := read(lang)
		for key := range en {
			if m[key] == "" {
				t.Errorf("%s.json lacks %q", lang, key)
			}
		}
		for key := range m {
			if _, ok := en[key]; !ok {
				t.Errorf("%s.json has %q, which en.json lacks", lang, key)
			}
		}
	}
	// Every string literal shaped like a key: tr's arguments and the
	// tables of keys alike.
	used := regexp.MustCompile(`"((?:admin|status|scan|hint|verdict|kind|badge|result|age|policy|gallery|language)\.[a-z_.]*[a-z_])"`)
	prefixed := regexp.MustCompile(`"((?:verdict|kind|hint)\.)"`)
	files, _ := filepath.Glob("*.go")
	found := 0
	defer func() {
		if found < 40 {
			t.Errorf("found %d keys in the source: the check proves nothing", found)
		}
	}()
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			found++
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s asks for %q, which en.json lacks", f, m[1])
			}
		}
		for _, m := range prefixed.FindAllStringSubmatch(string(src), -1) {
			if !slices.ContainsFunc(slices.Collect(maps.Keys(en)), func(k string) bool { return strings.HasPrefix(k, m[1]) }) {
				t.Errorf("%s builds keys %q..., none in en.json", f, m[1])
			}
		}
	}
	for _, v := range []terminal.Verdict{terminal.Pass, terminal.Warn, terminal.Deny, terminal.Refer} {
		if _, ok := en["verdict."+v.String()]; !ok {
			t.Errorf("en.json lacks verdict.%s", v)
		}
	}
	for _, k := range []credential.Kind{credential.KindLive, credential.KindCard, credential.KindDynamic, credential.KindDCC} {
		if _, ok := en["kind."+k.String()]; !ok {
			t.Errorf("en.json lacks kind.%s", k)
		}
	}
	for _, h := range []terminal.Hint{terminal.HintHoldStill, terminal.HintCloser, terminal.HintLessGlare} {
		if _, ok := en["hint."+h.String()]; !ok {
			t.Errorf("en.json lacks hint.%s", h)
		}
	}
}

func TestCues(t *testing.T) {
	cues := Cues()
	for _, want := range []string{"pass", "warn", "deny", "refer", "voice/zh-CN/pass", "voice/en/closer"} {
		if !slices.Contains(cues, want) {
			t.Errorf("Cues() lacks %q: %v", want, cues)
		}
	}
}
