// Package cli is what fuscan's commands share on their command line: the
// terminal's flags laid over its config file or profile (fuscand and the
// kiosk take the same ones), a flag of comma-separated or repeated values,
// and help text generated from a flag set and from the config schema, so
// that neither can drift from what the command accepts.
package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
)

// List is a flag of values given comma-separated, repeated, or both:
// "--keys a.pem,b.pem --keys c.pem" holds all three. The first value
// given replaces a default set before parsing.
type List struct {
	Values []string
	set    bool
}

// String returns the values joined by commas.
func (l *List) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.Values, ",")
}

// Set adds the comma-separated values of s, dropping empty ones.
func (l *List) Set(s string) error {
	if !l.set {
		l.Values, l.set = nil, true
	}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			l.Values = append(l.Values, v)
		}
	}
	return nil
}

// PrintFlags writes the flags of fs, as "--name VALUE" and their usage
// indented below, with the default when it is not the zero value. A
// backquoted word in the usage names the value, as in the flag package.
func PrintFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if value != "" {
			name += " " + value
		}
		fmt.Fprintf(w, "  %s\n", name)
		for _, line := range strings.Split(usage, "\n") {
			fmt.Fprintf(w, "        %s\n", line)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			fmt.Fprintf(w, "        (default %s)\n", f.DefValue)
		}
	})
}

// PrintConfigFields writes the config file's fields, in the order of the
// Config type, with their descriptions and defaults from the schema
// (firmwareconfig.Schema), so that the help and the schema cannot disagree.
func PrintConfigFields(w io.Writer) {
	type property struct {
		Description string              `json:"description"`
		Default     any                 `json:"default"`
		Properties  map[string]property `json:"properties"`
	}
	var schema struct {
		Properties map[string]property `json:"properties"`
	}
	if err := json.Unmarshal(firmwareconfig.Schema, &schema); err != nil {
		fmt.Fprintf(w, "  (the schema does not parse: %v)\n", err)
		return
	}
	var list func(t reflect.Type, props map[string]property, prefix string)
	list = func(t reflect.Type, props map[string]property, prefix string) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			p := props[name]
			if f.Type.Kind() == reflect.Struct && p.Properties != nil {
				list(f.Type, p.Properties, prefix+name+".")
				continue
			}
			line := p.Description
			if p.Default != nil {
				line += fmt.Sprintf(" Default: %v.", p.Default)
			}
			fmt.Fprintf(w, "  %-16s %s\n", prefix+name, line)
		}
	}
	list(reflect.TypeFor[firmwareconfig.Config](), schema.Properties, "")
}

// FlagError returns err, a flag.FlagSet's parse error, naming the flag as
// users type it: "--name", not the flag package's "-name".
func FlagError(err error) error {
	for _, p := range []string{"for flag -", "not defined: -", "argument: -"} {
		if strings.Contains(err.Error(), p) {
			return errors.New(strings.Replace(err.Error(), p, p+"-", 1))
		}
	}
	return err
}

// LogLevel defines the --log-level flag on fs, filling level.
func LogLevel(fs *flag.FlagSet, level *slog.Level) {
	fs.Func("log-level", "log `LEVEL`: debug, info, warn or error (default info)", func(s string) error {
		if err := level.UnmarshalText([]byte(s)); err != nil {
			return errors.New("want debug, info, warn or error")
		}
		return nil
	})
}
