// Command fuscanctl is fuscan's admin tool: it makes issuer keys and EU DCC
// signing certificates, issues sample codes and printable 福码卡 cards, and
// verifies code texts offline as a terminal would.
//
// Run "fuscanctl help" for the commands and "fuscanctl help COMMAND" for the
// flags of one. "fuscanctl demo" needs no files: it shows one sample code of
// every common situation and the verdict a terminal gives it.
//
// # Caveats
//
// Issuing exists for tests, samples and training: production issuers run
// elsewhere, with keys that never sit in a file next to this tool.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command could not do its job
	exitUsage   = 2 // the command line is wrong, or names unreadable files
)

// env is the I/O a command works with; tests hand it buffers.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run is fuscanctl: it runs the command named in args and returns the exit
// code, having reported any error on stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	err := dispatch(ctx, e, args)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "fuscanctl: %v\n", err)
	var ue *usageError
	if !errors.As(err, &ue) {
		return exitFailure
	}
	if ue.cmd != nil {
		// The synopsis, not the whole help, so that the error stays in view.
		fmt.Fprintf(stderr, "usage: fuscanctl %s %s\nRun \"fuscanctl help %s\" for details.\n", ue.cmd.name, ue.cmd.args, ue.cmd.name)
	} else {
		fmt.Fprintln(stderr)
		printOverview(stderr)
	}
	return exitUsage
}

func dispatch(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("no command given")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(e.stdout, rest)
	}
	c := lookup(name)
	if c == nil {
		return usagef("unknown command %q", name)
	}
	return c.exec(ctx, e, rest)
}

// help prints the overview, or the usage of the commands named in args.
func help(w io.Writer, args []string) error {
	if len(args) == 0 {
		printOverview(w)
		return nil
	}
	for i, name := range args {
		c := lookup(name)
		if c == nil {
			return usagef("help: unknown command %q", name)
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		printUsage(w, c)
	}
	return nil
}

// printOverview writes the list of commands.
func printOverview(w io.Writer) {
	fmt.Fprint(w, "fuscanctl is fuscan's admin tool: keys, sample codes and cards, offline verification.\n\n")
	fmt.Fprint(w, "usage: fuscanctl COMMAND [flags] [arguments]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"fuscanctl help COMMAND\" or \"fuscanctl COMMAND -h\" for a command's flags.\n")
	fmt.Fprint(w, "Exit status: 0 when the command did its job (verify: whatever the verdicts),\n1 when it failed, 2 for a wrong command line.\n")
}

// commands returns every command, in the order help lists them.
func commands() []*command {
	return []*command{keygenCommand, issueCommand, verifyCommand, decodeCommand, corpusCommand, demoCommand, logCommand, bundleCommand, pushCommand, fleetCommand}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}
