package cli

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func parse(t *testing.T, args ...string) (*flag.FlagSet, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config := TerminalFlags(fs)
	if err := fs.Parse(args); err != nil {
		return fs, FlagError(err)
	}
	_, err := config()
	return fs, err
}

// TestKeysRepeated: --keys given several times keeps every value, and
// replaces the file's list.
func TestKeysRepeated(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	os.WriteFile(file, []byte(`{"profile": "demo", "data": "d", "keys": ["file.pem"]}`), 0o600)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--config", file}, []string{filepath.Join(dir, "file.pem")}},
		{[]string{"--config", file, "--keys", "a.pem,b.pem", "--keys", "c.pem"}, []string{"a.pem", "b.pem", "c.pem"}},
		{[]string{"--config", file, "--keys", "a.pem", "--keys", ",, d.pem"}, []string{"a.pem", "d.pem"}},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		config := TerminalFlags(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := config()
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if !slices.Equal(cfg.Keys, c.want) {
			t.Errorf("%q: keys %q, want %q", c.args, cfg.Keys, c.want)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "flag provided but not defined: --bogus"},
		{[]string{"--profile"}, "flag needs an argument: --profile"},
		{[]string{"--retention-days", "x"}, `invalid value "x" for flag --retention-days`},
		{[]string{"--profile", "demo", "--data", "d", "--dedupe", "3 s"}, `--dedupe "3 s"`},
		{[]string{"--profile", "demo", "--config", "c.json"}, "give one"},
		{[]string{"--profile", "demo"}, "no data (--data)"},
	}
	for _, c := range cases {
		if _, err := parse(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.args, err, c.want)
		}
	}
}

// TestHelp: every flag and every config field is in the help.
func TestHelp(t *testing.T) {
	fs, _ := parse(t)
	var b bytes.Buffer
	PrintFlags(&b, fs)
	PrintConfigFields(&b)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(b.String(), "--"+f.Name) {
			t.Errorf("help has no --%s", f.Name)
		}
	})
	for _, want := range []string{"/backup", "  retention_days   Days acknowledged records are kept. Default: 30.", "  mqtt.broker"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("help has no %q:\n%s", want, b.String())
		}
	}
}
