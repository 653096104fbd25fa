// Package sample holds the published demo issuer keys and issues sample
// codes of every verdict with them; nothing in production may trust these
// keys.
//
// The private keys are in this package's source, so anyone can issue codes
// that a terminal trusting them passes. Snapshot is the trust snapshot of
// a demonstration terminal (firmware-config/trust/demo.json holds a copy):
// it trusts the demo issuers, revokes one demo card and applies the
// default policy, and it is marked demo so that a terminal can say so.
// Cases issues, around a given instant, one code of each common situation
// and says what that terminal decides. Texts are fixed codes of every
// format, issued at one fixed instant with deterministic signatures, for
// the decoder's tests and the corpus of frames that decoder/scene draws of
// them, which must never change.
//
// # Caveats
//
// The demo keys, the DCC signing certificate and the snapshot are valid
// from 2024 to the end of 2035: Cases at an instant outside that window
// are not decided as labelled. Cases draws fresh signatures (SM2 and ECDSA
// are randomised), so two calls at one instant give different texts.
// Texts are decided as their colours say only at the instant they were
// issued at (the live codes expire five minutes later): they serve to be
// read, not to be accepted. Their SM2 signatures are deterministic through
// how gmsm derives its nonces (see sameBytes): a gmsm that did otherwise
// would change them, and with them every corpus frame drawn of them.
package sample

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"sync"
	"time"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// issuer is the issuer id (GB/T 2260 code) of the demo codes.
const issuer = "350000"

// dccCountry is the issuing country of the demo EU DCC.
const dccCountry = "CN"

// revokedSerial is the demo card serial the snapshot revokes.
const revokedSerial = "FSC-DEMO00000005"

// The demo snapshot's instants: when it was issued, and the window of its
// keys, which it expires with.
var (
	snapshotIssuedAt = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	validFrom        = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	validUntil       = time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
)

// keyring holds the parsed demo keys.
type keyring struct {
	sm2, ed25519, dcc, holder, forger *cose.Signer
	certDER                           []byte // dcc's certificate
}

var keys = sync.OnceValue(func() *keyring {
	k := &keyring{}
	for _, x := range []struct {
		dst **cose.Signer
		pem string
	}{
		{&k.sm2, sm2IssuerPEM}, {&k.ed25519, ed25519IssuerPEM}, {&k.dcc, dccSignerPEM},
		{&k.holder, holderPEM}, {&k.forger, forgerPEM},
	} {
		s, err := cose.ParsePrivateKeyPEM([]byte(x.pem))
		if err != nil {
			// The keys are constants: a failure is a bug every test shows.
			panic(fmt.Sprintf("sample: demo key: %v", err))
		}
		*x.dst = s
	}
	block, _ := pem.Decode([]byte(dccCertificatePEM))
	k.certDER = block.Bytes
	return k
})

// snapshot returns the demo snapshot document.
var snapshot = sync.OnceValue(func() []byte {
	k := keys()
	ours := []string{credential.KindLive.String(), credential.KindCard.String(), credential.KindDynamic.String()}
	s := &terminal.Snapshot{
		Version:   1,
		IssuedAt:  snapshotIssuedAt,
		ExpiresAt: validUntil,
		Demo:      true,
		Keys: []terminal.SnapshotKey{
			{PEM: publicPEM(k.sm2), Issuer: issuer, Kinds: ours, NotBefore: validFrom, NotAfter: validUntil},
			{PEM: publicPEM(k.ed25519), Issuer: issuer, Kinds: ours[:1], NotBefore: validFrom, NotAfter: validUntil},
			{PEM: dccCertificatePEM, Issuer: dccCountry},
		},
		Revoked: []string{revokedSerial},
		Policy:  json.RawMessage(`{"version": 1}`),
	}
	data, err := s.Marshal()
	if err != nil {
		panic(fmt.Sprintf("sample: demo snapshot: %v", err))
	}
	return data
})

func publicPEM(s *cose.Signer) string {
	p, err := cose.MarshalPublicKeyPEM(s.Public())
	if err != nil {
		panic(fmt.Sprintf("sample: demo key: %v", err))
	}
	return string(p)
}

// Snapshot returns the demo trust snapshot document (ParseSnapshot reads
// it): the SM2 issuer for live codes, cards and dynamic codes and the
// Ed25519 issuer for live codes, both of issuer 350000, the EU DCC signing
// certificate, one revoked demo card and the default policy, version 1.
// Every call returns the same bytes.
func Snapshot() []byte { return bytes.Clone(snapshot()) }

// Trust returns the trust of Snapshot, a new one at every call (Demo is
// true).
func Trust() *terminal.Trust {
	t, err := terminal.ParseSnapshot(snapshot())
	if err != nil {
		panic(fmt.Sprintf("sample: demo snapshot: %v", err))
	}
	return t
}
