package main

import (
	"strings"
	"testing"
)

// FuzzArgs feeds command lines (arguments separated by NUL) to the flag
// and config parser: an error or a valid config, never a panic.
func FuzzArgs(f *testing.F) {
	f.Add("--profile\x00demo\x00--data\x00/tmp/x\x00--dedupe\x00-1s")
	f.Add("--device\x00a\x00--venue\x00b\x00--source\x00stdin:\x00--data\x00d\x00--keys\x00a.pem,,b.pem\x00--retention-days\x007")
	f.Add("--config\x00/nonexistent\x00--json\x00--print")
	f.Fuzz(func(t *testing.T, line string) {
		cfg, _, err := parseArgs(strings.Split(line, "\x00"))
		if err != nil {
			return
		}
		if err := cfg.WithDefaults().Validate(); err != nil {
			t.Fatalf("parseArgs accepted a config that does not validate: %v", err)
		}
	})
}
