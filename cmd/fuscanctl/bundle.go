package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"time"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

var bundleCommand = &command{
	name:    "bundle",
	args:    "--kind trust|revocations|policy|config|roots --version N --sign ROOT.key --in FILE --out BUNDLE [flags]",
	summary: "sign an update bundle for the fleet: trust snapshot, revocations, policy, device config or root keys",
	help: `
Bundle signs FILE as an update bundle (docs/protocol.md §6) with a root key
that devices pin (mqtt.roots, --roots), and writes it to BUNDLE. Publish it
with "fuscanctl push"; devices apply it at once when its signature holds,
its target addresses them, it has not expired and its version is above the
one they hold, and report the outcome to the hub.

FILE, by kind:
  trust        a trust snapshot (docs/trust-snapshot.md); its version must
               be --version, and it must not be a demo snapshot
  revocations  a revocation list, one serial or sha256:HEX a line; with
               --base N, a delta against version N: +ENTRY revokes,
               -ENTRY lifts
  policy       a venue policy (docs/policy.md); its version must be --version
  config       {"venue": ID, "dedupe": "5s", "retention_days": N}, any of them
  roots        PEM public keys: the complete new set of roots (signed by a
               current one)

Versions rise per kind across all targets. Make root keys with
"fuscanctl keygen --alg sm2|ed25519|es256".`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &bundleOptions{}
		fs.StringVar(&o.kind, "kind", "", "update `KIND`: trust, revocations, policy, config or roots")
		fs.Uint64Var(&o.version, "version", 0, "the bundle's `N`, above every earlier one of the kind")
		fs.StringVar(&o.sign, "sign", "", "root private key `FILE` (PEM) to sign with")
		fs.StringVar(&o.in, "in", "", "the data `FILE`")
		fs.StringVar(&o.out, "out", "", "where to write the bundle `FILE`")
		fs.Uint64Var(&o.base, "base", 0, "revocations only: make a delta against version `N`")
		fs.Var(&o.expires, "expires", "RFC 3339 `time` after which devices refuse the bundle (default 90 days after --at)")
		fs.Var(&o.at, "at", "issue time, RFC 3339 `time` (default now)")
		fs.StringVar(&o.target, "target", "all", "whom it addresses: all, group:`G` or device:D")
		fs.BoolVar(&o.force, "force", false, "replace an existing --out file")
		return o.run
	},
}

type bundleOptions struct {
	kind, sign, in, out, target string
	version, base               uint64
	expires, at                 timeFlag
	force                       bool
}

// defaultBundleLife is how long a bundle is valid when --expires is not
// given.
const defaultBundleLife = 90 * 24 * time.Hour

func (o *bundleOptions) run(_ context.Context, e *env, args []string) error {
	switch {
	case len(args) > 0:
		return usagef("unexpected argument %q", args[0])
	case o.kind == "" || o.version == 0 || o.sign == "" || o.in == "" || o.out == "":
		return usagef("--kind, --version, --sign, --in and --out are required")
	}
	keyPEM, err := readInput("sign", o.sign)
	if err != nil {
		return err
	}
	root, err := cose.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return usagef("--sign: %v", err)
	}
	data, err := readInput("in", o.in)
	if err != nil {
		return err
	}
	if err := checkPayload(o.kind, o.version, o.base, data); err != nil {
		return usagef("--in %s: %v", o.in, err)
	}
	at := o.at.or(now())
	b := &bundle.Bundle{Kind: o.kind, Version: o.version, Base: o.base, IssuedAt: at,
		ExpiresAt: o.expires.or(at.Add(defaultBundleLife)), Target: o.target, Payload: data}
	signed, err := bundle.Sign(b, root)
	if err != nil {
		return usagef("%v", err)
	}
	if err := writeNew(o.out, signed, 0o644, o.force); err != nil {
		return err
	}
	kid, _ := cose.KeyID(root.Public())
	fmt.Fprintf(e.stdout, "%s: %s version %d for %s, expires %s, %d bytes, signed by root %s\n",
		o.out, o.kind, o.version, o.target, b.ExpiresAt.UTC().Format(time.RFC3339), len(signed), hex.EncodeToString(kid))
	return nil
}

// checkPayload parses data as a device will, so that a bundle that every
// device would refuse is not made.
func checkPayload(kind string, version, base uint64, data []byte) error {
	switch kind {
	case bundle.KindTrust:
		snap, err := terminal.ParseSnapshot(data)
		switch {
		case err != nil:
			return err
		case snap.Demo:
			return fmt.Errorf("a demo snapshot: devices refuse it (DEMO_TRUST)")
		case snap.Version != version:
			return fmt.Errorf("snapshot version %d, --version %d: make them equal", snap.Version, version)
		}
	case bundle.KindRevocations:
		if base != 0 {
			_, _, err := terminal.ParseRevocationDelta(data)
			return err
		}
		_, err := terminal.ParseRevocations(data)
		return err
	case bundle.KindPolicy:
		p, err := terminal.ParsePolicy(data)
		if err != nil {
			return err
		}
		if p.Version != version {
			return fmt.Errorf("policy version %d, --version %d: make them equal", p.Version, version)
		}
	case bundle.KindConfig:
		_, err := firmwareconfig.ParseRemote(data)
		return err
	case bundle.KindRoots:
		_, err := bundle.ParseRoots(data)
		return err
	}
	return nil
}
