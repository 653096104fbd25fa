// Package firmwareconfig holds a terminal's configuration: the Config type,
// the device profiles built into every binary (kiosk, transit gate,
// handheld, demo), the JSON schema of the config file (schema.json), and
// the loader that lays a config file over the profile it names.
//
// A config file is JSON with the fields of Config. It starts from the
// profile it names ("profile": "transit"), then sets what it lists; flags
// set last (cmd/fuscand). Relative paths in a file are relative to the
// file. Zero fields take the defaults documented on Config.
//
// # Caveats
//
// The trust snapshot built into the binaries, trust/demo.json, trusts the
// published demo issuer keys: anyone can make codes that pass under it. A
// vendor replaces it with the production issuers' snapshot before building
// device images, or provisions one with the trust field; fuscand warns
// loudly while it runs on the demo snapshot.
package firmwareconfig

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Defaults for the zero values of Config's fields.
const (
	DefaultGate          = "none"
	DefaultRetentionDays = 30
	DefaultListen        = "127.0.0.1:9464"
)

// Config is a terminal's configuration.
type Config struct {
	// Profile names the built-in profile a config file starts from
	// (Profiles); empty: none, only the defaults below.
	Profile string `json:"profile,omitempty"`
	// Device is this terminal's id, unique in its fleet: 1 to 64 of
	// A-Z a-z 0-9 . _ -. Required.
	Device string `json:"device,omitempty"`
	// Venue is the venue (or checkpoint) id written into every record,
	// with Device's alphabet. Required.
	Venue string `json:"venue,omitempty"`
	// Source is the frame or scanner source URL (terminal/source).
	// Required.
	Source string `json:"source,omitempty"`
	// Gate is the gate spec (terminal/gate). Empty: DefaultGate.
	Gate string `json:"gate,omitempty"`
	// Data is the directory of the store, DATA/terminal.db. Required.
	Data string `json:"data,omitempty"`
	// Trust is a trust snapshot file (docs/trust-snapshot.md). Empty:
	// the snapshot built into the binary.
	Trust string `json:"trust,omitempty"`
	// Keys are PEM public keys or certificates trusted in addition to
	// the snapshot's.
	Keys []string `json:"keys,omitempty"`
	// Policy is a venue policy file (docs/policy.md) replacing the
	// snapshot's policy. Empty: the snapshot's.
	Policy string `json:"policy,omitempty"`
	// RetentionDays is how long acknowledged records are kept.
	// Zero: DefaultRetentionDays. Unacknowledged records are never
	// purged.
	RetentionDays int `json:"retention_days,omitempty"`
	// MaxStoreMB is the store size that raises the alarm (records are
	// still written). Zero: the store's default (boltstore.DefaultMaxBytes).
	MaxStoreMB int `json:"max_store_mb,omitempty"`
	// Dedupe is how long the same code text is one presentation.
	// Zero: the pipeline's default (terminal.DefaultDedupeWindow);
	// negative: every sighting is decided.
	Dedupe Duration `json:"dedupe,omitempty"`
	// DecodeBudget bounds the decoder's work on one frame. Zero: the
	// decoder's default (decoder.DefaultBudget).
	DecodeBudget Duration `json:"decode_budget,omitempty"`
	// Listen is the address of /healthz and /metrics. Empty:
	// DefaultListen; "off": no server. Keep it on loopback: it has no
	// authentication.
	Listen string `json:"listen,omitempty"`
	// MQTT is read by the uplink of the scan log and the downlink of
	// updates.
	MQTT MQTT `json:"mqtt,omitzero"`
	// UI is read by the kiosk (cmd/fuscan); fuscand ignores it.
	UI UI `json:"ui,omitzero"`
}

// UI is the kiosk's screen, sound and admin settings. The zero value is
// a working kiosk: Chinese, normal text, results for DefaultResultTime,
// no camera preview, sound on, and an admin panel that stays locked
// until a PIN hash is set.
type UI struct {
	// Language is the screens' language, a file of the kiosk's
	// translations: zh-CN or en. Empty: DefaultLanguage.
	Language string `json:"language,omitempty"`
	// Elderly starts the kiosk in elderly mode (关怀模式): text at least
	// 1.5 times larger, results held twice as long, spoken prompts.
	Elderly bool `json:"elderly,omitempty"`
	// ResultTime is how long a result stays on screen before the scan
	// screen returns (a different code replaces it at once). Zero:
	// DefaultResultTime.
	ResultTime Duration `json:"result_time,omitempty"`
	// Preview shows the live camera image on the scan screen, for
	// setting the camera up. Off by default: passers-by are filmed, not
	// shown.
	Preview bool `json:"preview,omitempty"`
	// Mute turns the sounds and spoken prompts off.
	Mute bool `json:"mute,omitempty"`
	// AdminPINHash is the salted slow hash of the admin panel's PIN,
	// as "fuscan --hash-pin" prints it; the PIN itself is never stored.
	// Empty: the admin panel cannot be opened.
	AdminPINHash string `json:"admin_pin_hash,omitempty"`
	// TrustWarnAge is the age of the trust data or revocation list past
	// which the status bar shows it in amber (past its expiry: red).
	// Zero: DefaultTrustWarnAge.
	TrustWarnAge Duration `json:"trust_warn_age,omitempty"`
}

// Defaults of the UI fields left zero.
const (
	DefaultLanguage     = "zh-CN"
	DefaultResultTime   = 3 * time.Second
	DefaultTrustWarnAge = 7 * 24 * time.Hour
)

// WithDefaults returns u with the defaults in place of zero fields.
func (u UI) WithDefaults() UI {
	u.Language = cmp.Or(u.Language, DefaultLanguage)
	u.ResultTime = cmp.Or(u.ResultTime, Duration(DefaultResultTime))
	u.TrustWarnAge = cmp.Or(u.TrustWarnAge, Duration(DefaultTrustWarnAge))
	return u
}

var languagePattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$`)

// Validate reports the first UI field out of range.
func (u UI) Validate() error {
	switch {
	case u.Language != "" && !languagePattern.MatchString(u.Language):
		return fmt.Errorf("ui.language %q: want a language tag such as zh-CN or en", u.Language)
	case u.ResultTime < 0:
		return fmt.Errorf("ui.result_time %v: want a positive duration", time.Duration(u.ResultTime))
	case u.TrustWarnAge < 0:
		return fmt.Errorf("ui.trust_warn_age %v: want a positive duration", time.Duration(u.TrustWarnAge))
	case u.AdminPINHash != "" && !strings.HasPrefix(u.AdminPINHash, "$argon2id$"):
		return errors.New("ui.admin_pin_hash: want the hash \"fuscan --hash-pin\" prints ($argon2id$...), never the PIN itself")
	}
	return nil
}

// MQTT is how a terminal reaches its hub.
type MQTT struct {
	// Broker is the broker URL, tcp://HOST:1883 or ssl://HOST:8883.
	// Empty: the terminal stays offline.
	Broker string `json:"broker,omitempty"`
	// Tenant is the first level of the topics under fuscan/v1/.
	Tenant string `json:"tenant,omitempty"`
	// Group is the device group that group updates address.
	Group string `json:"group,omitempty"`
	// Roots are PEM files of the root keys that may sign update bundles.
	// A roots bundle from the hub replaces them once applied. Empty: no
	// bundle is accepted (until a root is configured).
	Roots []string `json:"roots,omitempty"`
	// User is the broker user name. Empty: the device id when a password
	// file is set, else none.
	User string `json:"user,omitempty"`
	// PasswordFile holds the broker password (fuscan-hub device add
	// prints it). Empty: no password.
	PasswordFile string `json:"password_file,omitempty"`
}

// DefaultTenant is the tenant when MQTT.Tenant is empty.
const DefaultTenant = "default"

// Duration is a time.Duration written as in Go, "3s", "1m30s".
type Duration time.Duration

// MarshalJSON writes d as a string such as "3s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a string such as "3s" or "-1s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"3s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want a number and a unit, such as \"3s\" or \"500ms\"", s)
	}
	*d = Duration(v)
	return nil
}

//go:embed profiles/*.json
var profiles embed.FS

//go:embed schema.json
var Schema []byte

//go:embed trust/demo.json
var demoTrust []byte

// DefaultTrust returns the trust snapshot built into the binary.
func DefaultTrust() []byte { return bytes.Clone(demoTrust) }

// Profiles returns the names of the built-in profiles.
func Profiles() []string {
	entries, _ := profiles.ReadDir("profiles")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	return names
}

// Profile returns the built-in profile name.
func Profile(name string) (Config, error) {
	data, err := profiles.ReadFile("profiles/" + name + ".json")
	if err != nil {
		return Config{}, fmt.Errorf("firmwareconfig: no profile %q (there are %s)", name, strings.Join(Profiles(), ", "))
	}
	var c Config
	if err := decode(data, &c); err != nil {
		return Config{}, fmt.Errorf("firmwareconfig: profile %s: %w", name, err)
	}
	c.Profile = name
	return c, nil
}

// maxFile bounds a config file: a real one is a few hundred bytes.
const maxFile = 1 << 20

// Load reads the config file at path: the profile it names, with the
// fields it sets laid over it. Relative paths in it become relative to
// the file's directory.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("firmwareconfig: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return Config{}, fmt.Errorf("firmwareconfig: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("firmwareconfig: %s: %w", path, err)
	}
	c.resolvePaths(filepath.Dir(path))
	return c, nil
}

// Parse reads a config file's contents: the profile it names, with the
// fields it sets laid over it.
func Parse(data []byte) (Config, error) {
	if len(data) > maxFile {
		return Config{}, fmt.Errorf("over %d bytes", maxFile)
	}
	var head struct {
		Profile string `json:"profile"`
	}
	// Syntax errors are reported by the strict decode below.
	_ = json.Unmarshal(data, &head)
	var c Config
	if head.Profile != "" {
		var err error
		if c, err = Profile(head.Profile); err != nil {
			return Config{}, err
		}
	}
	if err := decode(data, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decode lays the JSON object data over c, refusing unknown fields.
func decode(data []byte, c any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if dec.More() {
		return errors.New("config: data after the JSON object")
	}
	return nil
}

// resolvePaths makes the relative paths of c relative to dir.
func (c *Config) resolvePaths(dir string) {
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.Data, c.Trust, c.Policy = rel(c.Data), rel(c.Trust), rel(c.Policy)
	for i := range c.Keys {
		c.Keys[i] = rel(c.Keys[i])
	}
	for i := range c.MQTT.Roots {
		c.MQTT.Roots[i] = rel(c.MQTT.Roots[i])
	}
	c.MQTT.PasswordFile = rel(c.MQTT.PasswordFile)
}

// WithDefaults returns c with the defaults above in place of zero fields.
// The fields whose zero means a component's own default (MaxStoreMB,
// Dedupe, DecodeBudget) stay zero: the component holds the number.
func (c Config) WithDefaults() Config {
	c.Gate = cmp.Or(c.Gate, DefaultGate)
	c.RetentionDays = cmp.Or(c.RetentionDays, DefaultRetentionDays)
	c.Listen = cmp.Or(c.Listen, DefaultListen)
	c.MQTT.Tenant = cmp.Or(c.MQTT.Tenant, DefaultTenant)
	c.UI = c.UI.WithDefaults()
	c.Keys, c.MQTT.Roots = slices.Clone(c.Keys), slices.Clone(c.MQTT.Roots)
	return c
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Validate reports the first field of c that is missing or out of range,
// saying which setting (config field and flag) to fix.
func (c Config) Validate() error {
	required := []struct{ name, value string }{
		{"device (--device)", c.Device}, {"venue (--venue)", c.Venue},
		{"source (--source)", c.Source}, {"data (--data)", c.Data},
	}
	for _, r := range required {
		if r.value == "" {
			return fmt.Errorf("no %s: set it in the config file or with the flag", r.name)
		}
	}
	if !idPattern.MatchString(c.Device) {
		return fmt.Errorf("device %q: use 1 to 64 of A-Z a-z 0-9 . _ -", c.Device)
	}
	if !idPattern.MatchString(c.Venue) {
		return fmt.Errorf("venue %q: use 1 to 64 of A-Z a-z 0-9 . _ -", c.Venue)
	}
	for _, id := range []struct{ name, value string }{{"mqtt.tenant (--tenant)", c.MQTT.Tenant}, {"mqtt.group (--group)", c.MQTT.Group}} {
		if id.value != "" && !idPattern.MatchString(id.value) {
			return fmt.Errorf("%s %q: use 1 to 64 of A-Z a-z 0-9 . _ -", id.name, id.value)
		}
	}
	switch {
	case c.RetentionDays < 0:
		return fmt.Errorf("retention_days %d: want a positive number of days", c.RetentionDays)
	case c.MaxStoreMB < 0:
		return fmt.Errorf("max_store_mb %d: want a positive size", c.MaxStoreMB)
	case c.DecodeBudget < 0:
		return fmt.Errorf("decode_budget %v: want a positive duration", time.Duration(c.DecodeBudget))
	}
	return c.UI.Validate()
}
