// Package gate opens a gate, turnstile or door for the decisions that let a
// person through. Each gate is a terminal.Output; Parse builds one from a spec
// such as "exec:/usr/local/bin/open-door?pulse=800ms" or
// "http:http://192.168.1.50/relay/0?fail=open".
//
// Pass and warn open the gate; deny and refer keep it closed, except that
// with fail=open a refer the terminal itself caused (TERMINAL_FAULT,
// CLOCK_UNTRUSTED) opens it: a site that must never trap people chooses
// that, a site that must never admit anyone unchecked keeps the default,
// fail=closed.
//
// # Caveats
//
// An exec gate runs its command for every decision, with FUSCAN_OPEN saying
// whether to open; an http gate sends a request only to open. A gate that
// fails returns an error for the pipeline to log; it does not retry, since
// a late pulse would open the gate for the next person.
package gate

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/fuscan/fuscan/terminal"
)

// Defaults for Options fields left zero.
const (
	DefaultPulse   = 500 * time.Millisecond
	DefaultTimeout = 2 * time.Second
)

// Options are the settings every gate kind shares.
type Options struct {
	// Pulse is how long the gate is held open. Zero: DefaultPulse.
	Pulse time.Duration
	// Timeout bounds one action (a command run, a request). Zero:
	// DefaultTimeout.
	Timeout time.Duration
	// FailOpen opens the gate when the terminal could not decide
	// (refer TERMINAL_FAULT or CLOCK_UNTRUSTED). False: it stays closed.
	FailOpen bool
}

// Opens reports whether d opens the gate under o.
func (o Options) Opens(d *terminal.Decision) bool {
	switch d.Verdict {
	case terminal.Pass, terminal.Warn:
		return true
	case terminal.Refer:
		return o.FailOpen && (d.Reason == terminal.TerminalFault || d.Reason == terminal.ClockUntrusted)
	}
	return false
}

func (o Options) pulse() time.Duration {
	if o.Pulse == 0 {
		return DefaultPulse
	}
	return o.Pulse
}

func (o Options) timeout() time.Duration {
	if o.Timeout == 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

// None is the gate of a terminal without one: it does nothing.
type None struct{}

// Show implements terminal.Output.
func (None) Show(context.Context, *terminal.Decision, *terminal.Record) error { return nil }

// ErrSpec is wrapped by every error Parse returns.
var ErrSpec = errors.New("gate: bad spec")

// Parse returns the gate spec describes:
//
//	none
//	exec:COMMAND        run COMMAND with /bin/sh -c for every decision
//	http:URL            POST to URL (http or https) to open
//	gpio:CHIP:LINE      drive LINE of CHIP (gpiochip0, 0 or a path) high (Linux)
//
// followed by options as a query, "?pulse=800ms&fail=open&timeout=2s"
// (http also takes method=GET|POST). The options are the part after the
// last "?" when all its keys are options; a URL with its own query puts
// them after a second "?": "http:http://relay/open?ch=1?pulse=1s".
func Parse(spec string) (terminal.Output, error) {
	kind, target, _ := strings.Cut(spec, ":")
	target, query := splitOptions(target)
	opts, extra, err := parseOptions(query)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrSpec, spec, err)
	}
	g, err := build(kind, target, opts, extra)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrSpec, spec, err)
	}
	return g, nil
}

func build(kind, target string, opts Options, extra url.Values) (terminal.Output, error) {
	method := extra.Get("method")
	if method != "" && kind != "http" {
		return nil, errors.New("method applies to http gates only")
	}
	switch kind {
	case "none":
		if target != "" {
			return nil, errors.New("none takes no target")
		}
		return None{}, nil
	case "exec":
		if strings.TrimSpace(target) == "" {
			return nil, errors.New("exec needs a command: exec:COMMAND")
		}
		return &Exec{Command: target, Options: opts}, nil
	case "http":
		return newHTTP(target, method, opts)
	case "gpio":
		return newGPIO(target, opts)
	}
	return nil, fmt.Errorf("unknown gate kind %q (want none, exec:COMMAND, http:URL or gpio:CHIP:LINE)", kind)
}

var optionKeys = map[string]bool{"pulse": true, "fail": true, "timeout": true, "method": true}

// splitOptions splits s at its last "?" when what follows holds only
// option keys.
func splitOptions(s string) (target, query string) {
	i := strings.LastIndex(s, "?")
	if i < 0 {
		return s, ""
	}
	q, err := url.ParseQuery(s[i+1:])
	if err != nil || len(q) == 0 {
		return s, ""
	}
	for k := range q {
		if !optionKeys[k] {
			return s, ""
		}
	}
	return s[:i], s[i+1:]
}

func parseOptions(query string) (Options, url.Values, error) {
	var o Options
	q, err := url.ParseQuery(query)
	if err != nil {
		return o, nil, err
	}
	for k, v := range q {
		if len(v) > 1 {
			return o, nil, fmt.Errorf("option %s given %d times", k, len(v))
		}
	}
	if o.Pulse, err = duration(q, "pulse"); err != nil {
		return o, nil, err
	}
	if o.Timeout, err = duration(q, "timeout"); err != nil {
		return o, nil, err
	}
	switch f := q.Get("fail"); f {
	case "", "closed":
	case "open":
		o.FailOpen = true
	default:
		return o, nil, fmt.Errorf("fail=%s: want open or closed", f)
	}
	return o, q, nil
}

func duration(q url.Values, key string) (time.Duration, error) {
	s := q.Get(key)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > time.Minute {
		return 0, fmt.Errorf("%s=%s: want a duration between 1ms and 1m, such as 800ms", key, s)
	}
	return d, nil
}
