package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/fuscan/fuscan/sync/hub"
)

var pushCommand = &command{
	name:    "push",
	args:    "--hub URL --token-file FILE BUNDLE",
	summary: "publish a signed update bundle to the fleet through a hub",
	help: `
Push sends BUNDLE, a signed update bundle file ("-" for stdin), to the
hub's API (POST /api/v1/bundles). The hub checks its signature against its
root keys and its expiry, keeps it, and publishes it retained on the topic
of its kind and target, where the terminals pick it up:

  fuscan/v1/TENANT/updates/KIND                 target all
  fuscan/v1/TENANT/group/G/updates/KIND         target group:G
  fuscan/v1/TENANT/dev/D/updates/KIND           target device:D

It prints the topic and the bundle's SHA-256. The hub refuses a bundle
whose signature does not hold (SIG_INVALID, ROOT_UNKNOWN), that does not
parse (MALFORMED), that has expired (EXPIRED), or whose version is not
above the one it holds for the kind (NOT_NEWER); push then exits 1 with
the reason.

The token is the content of the hub's DIR/api-token.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &hubFlags{}
		o.define(fs)
		return o.push
	},
}

// hubFlags are the flags of the commands that call a hub's API.
type hubFlags struct {
	url, tokenFile string
	timeout        time.Duration
}

func (o *hubFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&o.url, "hub", "", "the hub's API `URL`, such as http://127.0.0.1:8080")
	fs.StringVar(&o.tokenFile, "token-file", "", "the `FILE` holding the API token: the hub's DIR/api-token")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for the hub")
}

// client returns the API client the flags describe.
func (o *hubFlags) client() (*hub.Client, error) {
	if o.url == "" {
		return nil, usagef("--hub is required")
	}
	if o.tokenFile == "" {
		return nil, usagef("--token-file is required")
	}
	token, err := readInput("token-file", o.tokenFile)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(o.url, "http://") && !strings.HasPrefix(o.url, "https://") {
		return nil, usagef("--hub %q: want an http:// or https:// URL", o.url)
	}
	return &hub.Client{URL: o.url, Token: strings.TrimSpace(string(token)), HTTP: &http.Client{Timeout: o.timeout}}, nil
}

func (o *hubFlags) push(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return usagef("want one BUNDLE file")
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	var data []byte
	if args[0] == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(args[0])
	}
	if err != nil {
		return usagef("%v", unwrapPath(err))
	}
	p, err := c.Push(ctx, data)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %d for %s on %s\nsha256 %s\n", p.Kind, p.Version, p.Target, p.Topic, p.Digest)
	if !p.Published {
		fmt.Fprintln(e.stderr, "fuscanctl: push: the hub keeps the bundle but its broker has not confirmed it yet; the hub publishes it again whenever it connects")
	}
	return nil
}
