package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

func TestKeygen(t *testing.T) {
	for _, alg := range []string{"sm2", "ed25519", "es256", "ps256"} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			prefix, kid := keygen(t, dir, "issuer", alg)

			privPEM, err := os.ReadFile(prefix + ".key")
			if err != nil {
				t.Fatal(err)
			}
			signer, err := cose.ParsePrivateKeyPEM(privPEM)
			if err != nil {
				t.Fatalf("parse %s.key: %v", prefix, err)
			}
			if want, _ := cose.ParseAlgorithm(alg); signer.Alg != want {
				t.Errorf("key algorithm %v, want %v", signer.Alg, want)
			}
			want, err := cose.KeyID(signer.Public())
			if err != nil {
				t.Fatal(err)
			}
			if kid != hex.EncodeToString(want) {
				t.Errorf("printed kid %s, want %x", kid, want)
			}

			pubPEM, err := os.ReadFile(prefix + ".pub")
			if err != nil {
				t.Fatal(err)
			}
			keys, err := terminal.ParseKeys(pubPEM)
			if alg == "ps256" {
				// RSA signs only EU DCCs, whose keys are trusted by certificate.
				if err == nil || !strings.Contains(err.Error(), "certificate") {
					t.Errorf("ParseKeys of an RSA public key: got %v, want an error pointing to the certificate", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse %s.pub: %v", prefix, err)
			}
			if len(keys) != 1 || !bytes.Equal(keys[0].KID, want) {
				t.Errorf("%s.pub holds %d keys, first kid %x; want one, %x", prefix, len(keys), keys[0].KID, want)
			}
			checkMode(t, prefix+".key", 0o600)
		})
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

func TestKeygenRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	prefix, kid := keygen(t, dir, "issuer", "ed25519")
	before, err := os.ReadFile(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}

	r := fuscanctl(t, "", "keygen", "--alg", "ed25519", "--out", prefix)
	if r.code != exitFailure || !strings.Contains(r.stderr, "exists; use --force") {
		t.Errorf("second keygen: exit %d, stderr %q; want 1 and a hint at --force", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(prefix + ".key"); !bytes.Equal(after, before) {
		t.Errorf("second keygen changed %s.key", prefix)
	}
	// Only the certificate is new, but the key files exist: nothing is written.
	r = fuscanctl(t, "", "keygen", "--alg", "es256", "--out", prefix, "--cert")
	if _, err := os.Stat(prefix + ".crt"); r.code != exitFailure || err == nil {
		t.Errorf("keygen --cert over existing keys: exit %d, %s.crt written: %v", r.code, prefix, err == nil)
	}

	// A loose mode on the old file must not survive --force.
	if err := os.Chmod(prefix+".key", 0o644); err != nil {
		t.Fatal(err)
	}
	_, kid2 := keygen(t, dir, "issuer", "ed25519", "--force")
	if kid2 == kid {
		t.Errorf("keygen --force printed the old kid %s", kid)
	}
	checkMode(t, prefix+".key", 0o600)
}

func TestKeygenCertificate(t *testing.T) {
	for _, alg := range []string{"es256", "ps256", "sm2"} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			prefix := filepath.Join(dir, "dsc")
			out := mustRun(t, "", "keygen", "--alg", alg, "--out", prefix, "--cert", "--at", t0s, "--dcc-types", "v,t")
			dccKID := field(t, out, "dcc-kid")

			data, err := os.ReadFile(prefix + ".crt")
			if err != nil {
				t.Fatal(err)
			}
			keys, err := terminal.ParseKeys(data)
			if err != nil {
				t.Fatalf("parse %s.crt: %v", prefix, err)
			}
			k := keys[0]
			if got := hex.EncodeToString(k.KID); got != dccKID {
				t.Errorf("certificate kid %s, printed %s", got, dccKID)
			}
			if got := field(t, out, "kid"); got == dccKID {
				t.Errorf("kid and dcc-kid are both %s; the DCC kid hashes the certificate", got)
			}
			if !k.NotBefore.Equal(t0) || !k.NotAfter.Equal(t0.AddDate(2, 0, 0)) {
				t.Errorf("validity %v to %v, want %v for two years", k.NotBefore, k.NotAfter, t0)
			}
			if !slices.Equal(k.DCCTypes, []string{"v", "t"}) {
				t.Errorf("DCC types %q, want [v t]", k.DCCTypes)
			}
			if want, _ := cose.ParseAlgorithm(alg); k.Verifier.Alg != want {
				t.Errorf("certificate key algorithm %v, want %v", k.Verifier.Alg, want)
			}
		})
	}
}
