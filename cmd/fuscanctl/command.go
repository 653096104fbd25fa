package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/cli"
)

// A command is one subcommand of fuscanctl.
type command struct {
	name    string
	args    string // the synopsis after the name, such as "--out PREFIX [flags]"
	summary string // one line for the overview
	help    string // paragraphs printed between the synopsis and the flags

	// setup defines the command's flags on fs and returns the function that
	// runs the command with the positional arguments left after them.
	setup func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

// flags returns the command's flag set, ready to parse. It prints nothing:
// run reports errors itself, with the fuscanctl prefix.
func (c *command) flags() (*flag.FlagSet, func(context.Context, *env, []string) error) {
	fs := flag.NewFlagSet("fuscanctl "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, c.setup(fs)
}

func (c *command) exec(ctx context.Context, e *env, args []string) error {
	fs, runFn := c.flags()
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(e.stdout, c)
		return nil
	}
	if err != nil {
		return &usageError{cmd: c, msg: c.name + ": " + err.Error()}
	}
	err = runFn(ctx, e, pos)
	var ue *usageError
	if errors.As(err, &ue) && ue.cmd == nil {
		ue.cmd, ue.msg = c, c.name+": "+ue.msg
		return ue
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// parseInterleaved parses flags that may come after positional arguments
// too ("verify TEXT --json"); after "--" everything is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// printUsage writes the command's synopsis, help and flags.
func printUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: fuscanctl %s %s\n\n%s\n", c.name, c.args, strings.TrimSpace(c.help))
	fs, _ := c.flags()
	var b strings.Builder
	cli.PrintFlags(&b, fs)
	if b.Len() > 0 {
		fmt.Fprintf(w, "\nflags:\n%s", b.String())
	}
}

// usageError is a wrong command line: run prints it with the command's
// usage and exits 2.
type usageError struct {
	cmd *command // nil until the command that failed fills it in
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// timeFlag is a flag holding an RFC 3339 instant, remembering whether it was
// given.
type timeFlag struct {
	t   time.Time
	set bool
}

func (f *timeFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return errors.New("want an RFC 3339 time such as 2026-11-23T09:00:00+08:00")
	}
	f.t, f.set = t, true
	return nil
}

// or returns the flag's time, or def when the flag was not given.
func (f *timeFlag) or(def time.Time) time.Time {
	if f.set {
		return f.t
	}
	return def
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// readInput reads a file named by flag, turning a failure into a usage
// error: a path on the command line that cannot be read is a wrong command
// line.
func readInput(flagName, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--%s: %v", flagName, unwrapPath(err))
	}
	return data, nil
}

// unwrapPath shortens "open x: no such file or directory" to "x: no such
// file or directory": the operation is obvious from the flag.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// now is the wall clock, read only where a flag such as --at was not given.
func now() time.Time { return time.Now().Truncate(time.Second) }
