package cli

import (
	"errors"
	"flag"
	"fmt"
	"time"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/terminal"
)

// SourceUsage lists the source URLs, for the --source flag's usage.
const SourceUsage = "frame or scanner source `URL`:\n" +
	"v4l2:/dev/video0?width=1280&height=720&fps=30\n" +
	"mjpeg:http://HOST/PATH\n" +
	"dir:PATH?fps=5&loop=1      (images and PDFs in name order)\n" +
	"demo:                      (synthetic camera, sample codes)\n" +
	"scanner:/dev/ttyACM0?baud=115200\n" +
	"stdin:                     (one code text a line)"

// stringFields are the config fields a flag of the same name replaces
// when given, with the flag's usage.
var stringFields = []struct {
	name, usage string
	field       func(*firmwareconfig.Config) *string
}{
	{"data", "store directory `DIR` (DIR/terminal.db); created if missing", func(c *firmwareconfig.Config) *string { return &c.Data }},
	{"source", SourceUsage, func(c *firmwareconfig.Config) *string { return &c.Source }},
	{"device", "this terminal's `ID` (A-Z a-z 0-9 . _ -, up to 64)", func(c *firmwareconfig.Config) *string { return &c.Device }},
	{"venue", "the venue or checkpoint `ID` written into every record", func(c *firmwareconfig.Config) *string { return &c.Venue }},
	{"trust", "trust snapshot `FILE` (docs/trust-snapshot.md); default: the one built in,\nor a newer one stored earlier", func(c *firmwareconfig.Config) *string { return &c.Trust }},
	{"policy", "venue policy `FILE` (docs/policy.md) replacing the snapshot's", func(c *firmwareconfig.Config) *string { return &c.Policy }},
	{"gate", "gate `SPEC`: none, exec:COMMAND, http:URL or gpio:CHIP:LINE, with\n?pulse=500ms&timeout=2s&fail=open|closed (default none)", func(c *firmwareconfig.Config) *string { return &c.Gate }},
	{"listen", "serve /healthz, /metrics and /backup on `ADDR` (default " + firmwareconfig.DefaultListen + ";\n" +
		"\"off\" for none; port 0 picks a free port). /backup serves a copy of the\n" +
		"whole scan log, and none of them asks for a password: keep it on loopback", func(c *firmwareconfig.Config) *string { return &c.Listen }},
	{"broker", "MQTT broker `URL` of the hub: tcp://HOST:1883, ssl://HOST:8883 (default:\nnone, the terminal stays offline)", func(c *firmwareconfig.Config) *string { return &c.MQTT.Broker }},
	{"tenant", "`TENANT`, the topic level under fuscan/v1/ (default " + firmwareconfig.DefaultTenant + ")", func(c *firmwareconfig.Config) *string { return &c.MQTT.Tenant }},
	{"group", "the device `GROUP` that group updates address", func(c *firmwareconfig.Config) *string { return &c.MQTT.Group }},
	{"mqtt-user", "broker `USER` name (default: the device id when a password file is set)", func(c *firmwareconfig.Config) *string { return &c.MQTT.User }},
	{"mqtt-password-file", "`FILE` holding the broker password", func(c *firmwareconfig.Config) *string { return &c.MQTT.PasswordFile }},
}

// TerminalFlags defines on fs the flags of a terminal (fuscand, the
// kiosk): --config or --profile, and a flag for each config field it may
// replace. The function it returns, called once fs is parsed, returns the
// configuration: the file or profile, with the flags given laid over it,
// validated. A flag not given leaves the file's value.
func TerminalFlags(fs *flag.FlagSet) func() (firmwareconfig.Config, error) {
	var (
		config, profile, dedupe string
		keys, roots             List
		retention               int
	)
	fs.StringVar(&config, "config", "", "JSON config `FILE` (firmware-config/schema.json); relative paths in it\nare relative to the file")
	fs.StringVar(&profile, "profile", "", "start from a built-in profile: `NAME` is one of kiosk, transit, handheld, demo")
	values := map[string]*string{}
	for _, f := range stringFields {
		values[f.name] = fs.String(f.name, "", f.usage)
	}
	fs.Var(&keys, "keys", "PEM public keys or certificates trusted in addition to the trust snapshot:\n`FILES` comma-separated, or the flag repeated")
	fs.Var(&roots, "roots", "PEM `FILES` of the root keys that may sign update bundles, comma-separated\nor the flag repeated")
	fs.StringVar(&dedupe, "dedupe", "", fmt.Sprintf("the same code within `D` is one decision (default %v; negative: decide\nevery sighting)", terminal.DefaultDedupeWindow))
	fs.IntVar(&retention, "retention-days", 0, fmt.Sprintf("keep acknowledged records `N` days (default %d)", firmwareconfig.DefaultRetentionDays))
	return func() (firmwareconfig.Config, error) {
		var cfg firmwareconfig.Config
		var err error
		switch {
		case config != "" && profile != "":
			return cfg, errors.New("--config and --profile: give one (a config file names its profile with \"profile\")")
		case config != "":
			cfg, err = firmwareconfig.Load(config)
		case profile != "":
			cfg, err = firmwareconfig.Profile(profile)
		}
		if err != nil {
			return cfg, err
		}
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for _, f := range stringFields {
			if given[f.name] {
				*f.field(&cfg) = *values[f.name]
			}
		}
		if given["keys"] {
			cfg.Keys = keys.Values
		}
		if given["roots"] {
			cfg.MQTT.Roots = roots.Values
		}
		if given["retention-days"] {
			cfg.RetentionDays = retention
		}
		if given["dedupe"] {
			d, err := time.ParseDuration(dedupe)
			if err != nil {
				return cfg, fmt.Errorf("--dedupe %q: want a duration such as 3s", dedupe)
			}
			cfg.Dedupe = firmwareconfig.Duration(d)
		}
		if err := cfg.WithDefaults().Validate(); err != nil {
			return cfg, err
		}
		return cfg, nil
	}
}
