package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"slices"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
)

var keygenCommand = &command{
	name:    "keygen",
	args:    "[--alg sm2|ed25519|es256|ps256] --out PREFIX [--cert] [flags]",
	summary: "make an issuer (or holder) key pair, and optionally an EU DCC signing certificate",
	help: `
Keygen writes PREFIX.key, the private key (PKCS#8 PEM, mode 0600), and
PREFIX.pub, the public key (SPKI PEM) that terminals trust with
"verify --keys PREFIX.pub". It prints the key id (kid) in hex: the first 8
bytes of SHA-256 over the public key, which every code signed with the key
names.

With --cert it also writes PREFIX.crt, a self-signed X.509 EU DCC signing
certificate for the key, valid for two years from --at, whose extended key
usages allow the DCC types of --dcc-types; it prints the certificate's DCC
kid (SHA-256 of the certificate) as "dcc-kid". Issue DCCs with
"issue --kind dcc --cert PREFIX.crt" and verify them with
"verify --keys PREFIX.crt". The EU DCC standard allows es256 and ps256 only.

Existing files are not overwritten unless --force is given.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &keygenOptions{}
		fs.StringVar(&o.alg, "alg", "sm2", "signature `algorithm`: sm2 (SM2 with SM3), ed25519, es256 (ECDSA P-256) or ps256 (RSA-PSS, EU DCC only)")
		fs.StringVar(&o.out, "out", "", "`PREFIX` of the files to write: PREFIX.key, PREFIX.pub and, with --cert, PREFIX.crt")
		fs.BoolVar(&o.force, "force", false, "replace existing files")
		fs.BoolVar(&o.cert, "cert", false, "also write PREFIX.crt, a self-signed EU DCC signing certificate")
		o.types.Values = []string{"v", "t", "r"}
		fs.Var(&o.types, "dcc-types", "`TYPES` the certificate may sign, comma-separated: v (vaccination), t (test), r (recovery)")
		fs.StringVar(&o.subject, "subject", "fuscan sample DCC signer", "common `name` of the certificate's subject")
		fs.StringVar(&o.country, "country", "CN", "`country` code of the certificate's subject")
		fs.Var(&o.at, "at", "start of the certificate's validity, RFC 3339 `time` (default now)")
		return o.run
	},
}

type keygenOptions struct {
	alg, out         string
	force, cert      bool
	types            cli.List
	subject, country string
	at               timeFlag
}

func (o *keygenOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	alg, err := cose.ParseAlgorithm(o.alg)
	if err != nil {
		return usagef("--alg: unknown algorithm %q (want sm2, ed25519, es256 or ps256)", o.alg)
	}
	if o.out == "" {
		return usagef("missing --out PREFIX")
	}
	if err := checkDCCTypes(o.types.Values); err != nil {
		return err
	}
	files := []string{o.out + ".key", o.out + ".pub"}
	if o.cert {
		files = append(files, o.out+".crt")
	}
	if !o.force {
		for _, f := range files {
			if _, err := os.Lstat(f); err == nil {
				return fmt.Errorf("%s exists; use --force to replace it", f)
			}
		}
	}

	priv, err := cose.GenerateKey(rand.Reader, alg)
	if err != nil {
		return err
	}
	privPEM, err := cose.MarshalPrivateKeyPEM(priv)
	if err != nil {
		return err
	}
	pubPEM, err := cose.MarshalPublicKeyPEM(priv.Public())
	if err != nil {
		return err
	}
	kid, err := cose.KeyID(priv.Public())
	if err != nil {
		return err
	}
	var certDER []byte
	from := o.at.or(now())
	if o.cert {
		certDER, err = dccCertificate(alg, priv, o.subject, o.country, from, o.types.Values)
		if err != nil {
			return err
		}
	}

	if err := writeNew(files[0], privPEM, 0o600, o.force); err != nil {
		return err
	}
	if err := writeNew(files[1], pubPEM, 0o644, o.force); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%v key written: %s (private, mode 0600), %s (public)\n", alg, files[0], files[1])
	fmt.Fprintf(e.stdout, "kid %x\n", kid)
	if !o.cert {
		return nil
	}
	if err := writeNew(files[2], pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}), 0o644, o.force); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "certificate written: %s (EU DCC signer for %s, valid %s to %s)\n",
		files[2], o.types.String(), from.Format(time.DateOnly), from.AddDate(certYears, 0, 0).Format(time.DateOnly))
	fmt.Fprintf(e.stdout, "dcc-kid %x\n", cose.KeyIDOf(certDER))
	return nil
}

// checkDCCTypes reports a usage error unless types is a non-empty list of
// distinct DCC types.
func checkDCCTypes(types []string) error {
	if len(types) == 0 {
		return usagef("--dcc-types: no type given (want some of v, t, r)")
	}
	for i, t := range types {
		if t != "v" && t != "t" && t != "r" {
			return usagef("--dcc-types: unknown type %q (want v, t or r)", t)
		}
		if slices.Contains(types[:i], t) {
			return usagef("--dcc-types: %q given twice", t)
		}
	}
	return nil
}

// certYears is how long a certificate made by keygen is valid.
const certYears = 2

// dccCertificate returns the DER of a self-signed EU DCC signing certificate
// for priv, valid for certYears from notBefore, whose extended key usages
// allow the DCC types given.
func dccCertificate(alg cose.Algorithm, priv crypto.Signer, subject, country string, notBefore time.Time, types []string) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: subject, Country: []string{country}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(certYears, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	for _, t := range types {
		tmpl.UnknownExtKeyUsage = append(tmpl.UnknownExtKeyUsage, terminal.DCCKeyUsage(t))
	}
	var der []byte
	if alg == cose.SM2SM3 {
		// crypto/x509 cannot sign with SM2; smx509 takes the same template.
		der, err = smx509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	} else {
		der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return der, nil
}

// writeNew writes data to a new file with mode perm. With force an existing
// file is removed first, so that a key file never keeps a looser mode.
func writeNew(path string, data []byte, perm fs.FileMode, force bool) error {
	if force {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return unwrapPath(err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists; use --force to replace it", path)
	}
	if err != nil {
		return unwrapPath(err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return unwrapPath(err)
	}
	return nil
}
