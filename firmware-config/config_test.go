package firmwareconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestProfiles(t *testing.T) {
	names := Profiles()
	if want := []string{"demo", "handheld", "kiosk", "transit"}; !slices.Equal(names, want) {
		t.Fatalf("Profiles() = %v, want %v", names, want)
	}
	for _, name := range names {
		c, err := Profile(name)
		if err != nil {
			t.Fatalf("Profile(%q): %v", name, err)
		}
		if c.Profile != name || c.Source == "" {
			t.Errorf("Profile(%q) = %+v: want its name and a source", name, c)
		}
		c.Device, c.Venue, c.Data = "d1", "v1", t.TempDir()
		if err := c.Validate(); err != nil {
			t.Errorf("profile %s with device, venue and data: %v", name, err)
		}
	}
	if _, err := Profile("nope"); err == nil || !strings.Contains(err.Error(), "kiosk") {
		t.Errorf("Profile(nope) = %v, want an error listing the profiles", err)
	}
}

// TestSchema keeps schema.json and Config in step: the same fields, and the
// profile enum naming the built-in profiles.
func TestSchema(t *testing.T) {
	var schema struct {
		Properties map[string]struct {
			Enum       []string                   `json:"enum"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(schema.Properties), tags(reflect.TypeFor[Config]()); !slices.Equal(got, want) {
		t.Errorf("schema properties %v, Config fields %v", got, want)
	}
	if got, want := keys(schema.Properties["mqtt"].Properties), tags(reflect.TypeFor[MQTT]()); !slices.Equal(got, want) {
		t.Errorf("schema mqtt properties %v, MQTT fields %v", got, want)
	}
	if got, want := keys(schema.Properties["ui"].Properties), tags(reflect.TypeFor[UI]()); !slices.Equal(got, want) {
		t.Errorf("schema ui properties %v, UI fields %v", got, want)
	}
	if got := schema.Properties["profile"].Enum; !slices.Equal(got, []string{"kiosk", "transit", "handheld", "demo"}) && !slices.Equal(slices.Sorted(slices.Values(got)), Profiles()) {
		t.Errorf("schema profile enum %v, profiles %v", got, Profiles())
	}
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

func tags(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gate.json")
	file := `{
	  "profile": "transit",
	  "device": "gate-07",
	  "venue": "metro-l1-s12",
	  "keys": ["keys/a.pem", "/etc/fuscan/b.pem"],
	  "policy": "policy.json",
	  "dedupe": "1500ms",
	  "mqtt": {"broker": "tcp://10.0.0.1:1883", "tenant": "fz", "roots": ["root.pem"]}
	}`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Profile: "transit", Device: "gate-07", Venue: "metro-l1-s12",
		Source: "scanner:/dev/ttyACM0?baud=115200", Gate: "gpio:gpiochip0:17?pulse=800ms&fail=closed",
		Data:   "/var/lib/fuscan",
		Keys:   []string{filepath.Join(dir, "keys/a.pem"), "/etc/fuscan/b.pem"},
		Policy: filepath.Join(dir, "policy.json"), RetentionDays: 30, Dedupe: Duration(1500 * time.Millisecond),
		MQTT: MQTT{Broker: "tcp://10.0.0.1:1883", Tenant: "fz", Roots: []string{filepath.Join(dir, "root.pem")}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load = %+v\nwant   %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	d := c.WithDefaults()
	if d.MaxStoreMB != 0 || d.Listen != DefaultListen || d.Dedupe != c.Dedupe || d.DecodeBudget != 0 {
		t.Errorf("WithDefaults = %+v", d)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ data, want string }{
		{`{"device": "a", "colour": "red"}`, `unknown field "colour"`},
		{`{"dedupe": "3 seconds"}`, `duration "3 seconds"`},
		{`{"dedupe": 3}`, `want a string`},
		{`{"profile": "lobby"}`, `no profile "lobby"`},
		{`{"device": "a"} {}`, `data after`},
		{`{"device": `, `unexpected EOF`},
		{`[]`, `cannot unmarshal array`},
		{`{"mqtt": {"brokr": "x"}}`, `unknown field "brokr"`},
		{strings.Repeat(" ", maxFile+1), `over`},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%.40q) = %v, want an error containing %q", c.data, err, c.want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !os.IsNotExist(errorsUnwrapAll(err)) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
}

func errorsUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestValidate(t *testing.T) {
	good := Config{Device: "d-1", Venue: "v.1", Source: "demo:", Data: "/tmp/x"}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", good, err)
	}
	cases := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Device = "" }, "no device (--device)"},
		{func(c *Config) { c.Venue = "" }, "no venue (--venue)"},
		{func(c *Config) { c.Source = "" }, "no source (--source)"},
		{func(c *Config) { c.Data = "" }, "no data (--data)"},
		{func(c *Config) { c.Device = "a/b" }, `device "a/b"`},
		{func(c *Config) { c.Device = strings.Repeat("x", 65) }, "device"},
		{func(c *Config) { c.Venue = "场馆" }, `venue "场馆"`},
		{func(c *Config) { c.RetentionDays = -1 }, "retention_days"},
		{func(c *Config) { c.MaxStoreMB = -1 }, "max_store_mb"},
		{func(c *Config) { c.DecodeBudget = -1 }, "decode_budget"},
		{func(c *Config) { c.UI.Language = "Chinese" }, `ui.language "Chinese"`},
		{func(c *Config) { c.UI.ResultTime = -1 }, "ui.result_time"},
		{func(c *Config) { c.UI.TrustWarnAge = -1 }, "ui.trust_warn_age"},
		{func(c *Config) { c.UI.AdminPINHash = "1234" }, "never the PIN itself"},
	}
	for _, tc := range cases {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", c, err, tc.want)
		}
	}
}

func TestDefaultTrust(t *testing.T) {
	var head struct {
		Format int  `json:"fuscan_trust"`
		Demo   bool `json:"demo"`
	}
	if err := json.Unmarshal(DefaultTrust(), &head); err != nil || head.Format != 1 {
		t.Fatalf("DefaultTrust: %+v, %v; want a fuscan_trust 1 snapshot", head, err)
	}
	if !head.Demo {
		t.Error("the built-in snapshot holds the demo keys but is not marked demo")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"profile": "transit", "device": "g", "dedupe": "2s", "mqtt": {"roots": ["r"]}}`))
	f.Add([]byte(`{"keys": ["a", "b"], "retention_days": 7}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		// A config that parsed survives a round trip, once its fields
		// are spelled out rather than taken from a profile.
		c.Profile = ""
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", c, err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(c)) = %v for %s", err, out)
		}
		if !reflect.DeepEqual(normal(back), normal(c)) {
			t.Fatalf("round trip: %+v != %+v", back, c)
		}
	})
}

// normal makes empty and nil lists equal.
func normal(c Config) Config {
	if len(c.Keys) == 0 {
		c.Keys = nil
	}
	if len(c.MQTT.Roots) == 0 {
		c.MQTT.Roots = nil
	}
	return c
}

func TestParseRemote(t *testing.T) {
	r, err := ParseRemote([]byte(`{"venue": "hall-2", "dedupe": "5s", "retention_days": 7}`))
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Venue: "hall-1", Dedupe: Duration(time.Second), RetentionDays: 30}.WithRemote(r)
	if c.Venue != "hall-2" || c.Dedupe != Duration(5*time.Second) || c.RetentionDays != 7 {
		t.Errorf("WithRemote = %+v", c)
	}
	if c := (Config{Venue: "hall-1"}).WithRemote(Remote{}); c.Venue != "hall-1" {
		t.Errorf("an empty remote changed the venue: %q", c.Venue)
	}
	for _, bad := range []string{`{"source": "demo:"}`, `{"venue": "a b"}`, `{"retention_days": -1}`, `{"dedupe": "0s"}`, `[]`} {
		if _, err := ParseRemote([]byte(bad)); err == nil {
			t.Errorf("ParseRemote(%s): got no error", bad)
		}
	}
}

func FuzzParseRemote(f *testing.F) {
	f.Add([]byte(`{"venue": "hall-2", "dedupe": "-1s", "retention_days": 7}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRemote(data)
		if err != nil {
			return
		}
		c := Config{Device: "d", Venue: "v", Source: "demo:", Data: "x"}.WithRemote(r)
		if err := c.Validate(); err != nil {
			t.Fatalf("a remote config that passed makes an invalid config: %v", err)
		}
	})
}

// TestUIDefaults: a config without a ui section is a working kiosk, and
// every default the schema documents is the one applied.
func TestUIDefaults(t *testing.T) {
	got := Config{}.WithDefaults().UI
	want := UI{Language: "zh-CN", ResultTime: Duration(3 * time.Second), TrustWarnAge: Duration(168 * time.Hour)}
	if got != want {
		t.Errorf("Config{}.WithDefaults().UI = %+v, want %+v", got, want)
	}
	set := UI{Language: "en", ResultTime: Duration(time.Second), TrustWarnAge: Duration(time.Hour)}
	if got := set.WithDefaults(); got != set {
		t.Errorf("WithDefaults changed set fields: %+v, want %+v", got, set)
	}
	c, err := Parse([]byte(`{"profile": "demo", "ui": {"language": "en", "elderly": true, "result_time": "5s"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.UI.Language != "en" || !c.UI.Elderly || c.UI.ResultTime != Duration(5*time.Second) {
		t.Errorf("Parse ui = %+v, want en, elderly, 5s", c.UI)
	}
	if _, err := Parse([]byte(`{"ui": {"pin": "1234"}}`)); err == nil {
		t.Error(`Parse({"ui": {"pin": ...}}) = nil error, want the unknown field refused`)
	}
}
