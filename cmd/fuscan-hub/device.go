package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/sync/broker"
)

const deviceAbout = `fuscan-hub device: the devices' logins at the embedded broker, in DIR/devices.json.

  device add --data DIR --device ID [--group G]
      creates the device's login and prints its password, once: give it to
      the device (only a salted hash is kept). The group decides which
      group/G/updates the device may read. A running hub takes it at once.
  device list --data DIR
      prints the devices with a login, their group and when they were added.
  device remove --data DIR --device ID
      deletes the device's login; a running hub disconnects it.

device flags:
`

func printDeviceUsage(w io.Writer) {
	fs, _ := deviceFlags()
	fmt.Fprint(w, deviceAbout)
	cli.PrintFlags(w, fs)
}

type deviceOptions struct {
	data, device, group string
}

func deviceFlags() (*flag.FlagSet, *deviceOptions) {
	fs := flag.NewFlagSet("fuscan-hub device", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &deviceOptions{}
	fs.StringVar(&o.data, "data", "", "the hub's `DIR`")
	fs.StringVar(&o.device, "device", "", "the device's `ID`: its MQTT username")
	fs.StringVar(&o.group, "group", "", "add: the device's group `G`")
	return fs, o
}

// runDevice is "fuscan-hub device ...".
func runDevice(args []string, stdout, stderr io.Writer) int {
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "fuscan-hub device: %v\n", err)
		if code == exitUsage {
			fmt.Fprint(stderr, "Run \"fuscan-hub --help\" for usage.\n")
		}
		return code
	}
	if len(args) == 0 {
		return fail(exitUsage, errors.New("want add, list or remove"))
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printDeviceUsage(stdout)
		return exitOK
	}
	sub := args[0]
	fs, o := deviceFlags()
	err := fs.Parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		printDeviceUsage(stdout)
		return exitOK
	}
	switch {
	case err != nil:
		return fail(exitUsage, cli.FlagError(err))
	case fs.NArg() > 0:
		return fail(exitUsage, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	case sub != "add" && sub != "list" && sub != "remove":
		return fail(exitUsage, fmt.Errorf("unknown command %q: want add, list or remove", sub))
	case o.data == "":
		return fail(exitUsage, errors.New("no data directory (--data)"))
	case sub != "list" && o.device == "":
		return fail(exitUsage, errors.New("no device (--device)"))
	case sub != "add" && o.group != "":
		return fail(exitUsage, errors.New("--group is for add"))
	}
	path := filepath.Join(o.data, fileAccounts)
	switch sub {
	case "add":
		if err := os.MkdirAll(o.data, 0o700); err != nil {
			return fail(exitFailure, err)
		}
		pw, err := broker.AddDevice(path, o.device, o.group)
		if err != nil {
			return fail(exitFailure, err)
		}
		fmt.Fprintf(stdout, "device %s\ngroup %s\npassword %s\n", o.device, o.group, pw)
		fmt.Fprint(stderr, "The password is shown this once: configure the device with it. Only its hash is kept.\n")
	case "list":
		accts, err := broker.Devices(path)
		if err != nil {
			return fail(exitFailure, err)
		}
		w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "DEVICE\tGROUP\tADDED")
		for _, a := range accts {
			fmt.Fprintf(w, "%s\t%s\t%s\n", a.Device, a.Group, a.Added.Format(time.RFC3339))
		}
		w.Flush()
	case "remove":
		if err := broker.RemoveDevice(path, o.device); err != nil {
			return fail(exitFailure, err)
		}
		fmt.Fprintf(stdout, "removed %s\n", o.device)
	}
	return exitOK
}
