package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// DefaultLanguage is the kiosk's language when none is set.
const DefaultLanguage = "zh-CN"

// translationFiles are the kiosk's texts, one file per language in
// Fyne's translation format (go-i18n JSON): adding a language is adding
// a file.
//
//go:embed translations/*.json
var translationFiles embed.FS

// texts holds a localizer per language file.
type texts struct {
	langs []string // file names without .json, DefaultLanguage first
	loc   map[string]*i18n.Localizer
}

var catalog = loadTexts()

func loadTexts() *texts {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	entries, err := translationFiles.ReadDir("translations")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	t := &texts{loc: map[string]*i18n.Localizer{}}
	for _, e := range entries {
		name := path.Join("translations", e.Name())
		if _, err := b.LoadMessageFileFS(translationFiles, name); err != nil {
			panic(fmt.Sprintf("ui: %s: %v", name, err)) // a test loads every file
		}
		lang := strings.TrimSuffix(e.Name(), ".json")
		t.langs = append(t.langs, lang)
		t.loc[lang] = i18n.NewLocalizer(b, lang)
	}
	slices.SortStableFunc(t.langs, func(a, b string) int {
		switch {
		case a == DefaultLanguage:
			return -1
		case b == DefaultLanguage:
			return 1
		}
		return strings.Compare(a, b)
	})
	return t
}

// Languages returns the languages the kiosk speaks, as tags such as
// zh-CN and en: DefaultLanguage first, then the others in order.
func Languages() []string { return slices.Clone(catalog.langs) }

// supported returns lang if the kiosk has its file, else DefaultLanguage.
func supported(lang string) string {
	if _, ok := catalog.loc[lang]; ok {
		return lang
	}
	return DefaultLanguage
}

// tr returns the text key in lang; n fills {{.N}} in it. A key missing in
// lang falls back to English, then to the key itself.
func tr(lang, key string, data ...map[string]any) string {
	var d map[string]any
	if len(data) > 0 {
		d = data[0]
	}
	for _, l := range []string{lang, "en"} {
		loc := catalog.loc[l]
		if loc == nil {
			continue
		}
		s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: d})
		if err == nil {
			return s
		}
	}
	slog.Debug("ui: no text", "key", key, "lang", lang)
	return key
}

// trN is tr with {{.N}} set to n.
func trN(lang, key string, n any) string { return tr(lang, key, map[string]any{"N": n}) }

// reasonLang is the language the core's reason messages take for lang:
// terminal.Reason.Message knows zh and en.
func reasonLang(lang string) string {
	if strings.HasPrefix(lang, "zh") {
		return "zh"
	}
	return "en"
}

// otherLang is the language of the second, smaller headline of a result:
// English under Chinese, Chinese under anything else, so that a visitor
// who reads either understands the verdict.
func otherLang(lang string) string {
	if strings.HasPrefix(lang, "zh") {
		return "en"
	}
	return DefaultLanguage
}
