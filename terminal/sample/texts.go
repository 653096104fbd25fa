package sample

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// textsAt is the instant Texts are issued at, fixed so that the texts, and
// the QR codes drawn of them, never change.
var textsAt = time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Texts returns fixed sample code texts of every format, for tests and
// measurements of decoders (decoder/scene draws them), smallest QR codes
// first, two of each kind with different holders: live codes (FSL1:,
// about 250 characters, QR version 9 at level M), 福码卡 cards (FSC1:,
// about 270, version 10), dynamic codes (FSD1:, about 430, version 13)
// and EU DCCs (HC1:): one with the fields fuscan reads (about 420
// characters, version 13), one with every field a real certificate
// carries (about 640, version 16). The second live code, card and dynamic
// code are yellow, the others green.
//
// The demo issuers sign them at one fixed instant, 2026-11-23 09:00 CST,
// with deterministic signatures, so every call in every process returns the
// same texts. They are not meant to verify as currently valid: a terminal
// trusting Snapshot decides them as their colours say only with its clock
// at that instant (the live codes live five minutes). Cases gives codes
// for a given instant. Every call returns a new slice.
func Texts() []string { return slices.Clone(texts()) }

var texts = sync.OnceValue(func() []string {
	t, err := makeTexts()
	if err != nil {
		// Every input is fixed: a failure is a bug that every test shows.
		panic(fmt.Sprintf("sample: texts: %v", err))
	}
	return t
})

// textHolders are the people Texts are about: Name as on ID cards (codes
// carry it masked), the others as a DCC has them.
var textHolders = []struct {
	name, given, dob string
	color            credential.Color
}{
	{"张三", "Erika", "1964-08-12", credential.ColorGreen},
	{"欧阳娜娜", "Jean-Baptiste Maximilian", "1987-02-28", credential.ColorYellow},
}

// makeTexts issues Texts.
func makeTexts() ([]string, error) {
	k := keys()
	var out []string
	for _, kind := range []credential.Kind{credential.KindLive, credential.KindCard, credential.KindDynamic} {
		for i, h := range textHolders {
			c := textClaims(kind, h.color, h.name, i)
			issuer := k.sm2 // the only demo issuer of cards and dynamic codes
			if kind == credential.KindLive {
				issuer = k.ed25519
			}
			text, err := issueFixed(issuer, &c)
			if err != nil {
				return nil, fmt.Errorf("%v: %w", kind, err)
			}
			out = append(out, text)
		}
	}
	for i, h := range textHolders {
		uvci := fmt.Sprintf("URN:UVCI:01:CN:IZ%05dA/5CWLU12RNOB9RXSEOP6FG8#%c", 12345+i, 'W'+i)
		var msg []byte
		var err error
		if i == 0 {
			msg, err = signDCC(&credential.DCC{Type: "v", FamilyName: "Mustermann-Gabler", GivenName: h.given, BirthDate: h.dob,
				ID: uvci, Country: dccCountry, Doses: 2, TotalDoses: 2}, textsAt, textsAt.AddDate(1, 0, 0))
		} else {
			msg, err = signFullDCC(h.given, h.dob, uvci)
		}
		if err == nil {
			err = resign(msg)
		}
		if err != nil {
			return nil, fmt.Errorf("dcc: %w", err)
		}
		out = append(out, credential.Encode(credential.KindDCC, msg))
	}
	return out, nil
}

// textClaims returns the claims of the i-th text of kind.
func textClaims(kind credential.Kind, color credential.Color, name string, i int) credential.Claims {
	ttl := map[credential.Kind]time.Duration{
		credential.KindLive:    5 * time.Minute,
		credential.KindCard:    30 * 24 * time.Hour,
		credential.KindDynamic: 24 * time.Hour,
	}[kind]
	serial := ""
	if kind == credential.KindCard {
		serial = fmt.Sprintf("FSC-TEXT%08d", i+1)
	}
	c := claims(kind, color, name, serial, textsAt, ttl)
	c.NotBefore = textsAt.Add(-time.Minute)
	c.Health.IDTail = fmt.Sprintf("%04d", 1234+i*4321)
	return c
}

// issueFixed signs c with issuer, deterministically, and returns its code
// text; a dynamic credential binds the demo holder, who presents it in the
// step of textsAt.
func issueFixed(issuer *cose.Signer, c *credential.Claims) (string, error) {
	k := keys()
	if c.Kind == credential.KindDynamic {
		spki, err := smx509.MarshalPKIXPublicKey(k.holder.Public())
		if err != nil {
			return "", err
		}
		c.HolderKey = spki
	}
	signed, err := credential.Sign(sameBytes(0x5a), issuer, c)
	if err != nil {
		return "", err
	}
	if c.Kind != credential.KindDynamic {
		return credential.Encode(c.Kind, signed), nil
	}
	// The holder's key is Ed25519, which signs deterministically.
	return credential.Present(nil, k.holder, signed, credential.StepAt(textsAt))
}

// sameBytes is a source of "randomness" that reads one byte over and
// over: it makes gmsm's SM2 signatures deterministic. gmsm derives the
// nonce from the private key, the hash and 32 bytes it reads, after
// reading one more byte or not at random (as crypto/ecdsa did before Go
// 1.26); with every byte the same, neither choice changes the nonce.
// Ed25519 ignores it.
type sameBytes byte

func (b sameBytes) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// signFullDCC returns an EU DCC vaccination certificate with every field
// of schema 1.3 as real issuers write it, of a real certificate's length,
// signed by the demo DCC signer at textsAt.
func signFullDCC(given, dob, uvci string) ([]byte, error) {
	type name struct {
		FN  string `cbor:"fn"`
		FNT string `cbor:"fnt"`
		GN  string `cbor:"gn"`
		GNT string `cbor:"gnt"`
	}
	type vaccination struct {
		TG string `cbor:"tg"`
		VP string `cbor:"vp"`
		MP string `cbor:"mp"`
		MA string `cbor:"ma"`
		DN int    `cbor:"dn"`
		SD int    `cbor:"sd"`
		DT string `cbor:"dt"`
		CO string `cbor:"co"`
		IS string `cbor:"is"`
		CI string `cbor:"ci"`
	}
	type hcert struct {
		V   []vaccination `cbor:"v"`
		DOB string        `cbor:"dob"`
		Nam name          `cbor:"nam"`
		Ver string        `cbor:"ver"`
	}
	const family = "Mustermann-Gabler"
	payload, err := cose.EncMode.Marshal(map[int64]any{
		1: dccCountry,
		4: textsAt.AddDate(1, 0, 0).Unix(),
		6: textsAt.Unix(),
		-260: map[int64]any{1: hcert{
			V: []vaccination{{TG: "840539006", VP: "1119349007", MP: "EU/1/20/1528", MA: "ORG-100030215",
				DN: 3, SD: 3, DT: textsAt.AddDate(0, -2, 0).Format(time.DateOnly), CO: dccCountry,
				IS: "Fujian Health Commission", CI: uvci}},
			DOB: dob,
			Nam: name{FN: family, FNT: credential.MachineReadableName(family), GN: given, GNT: credential.MachineReadableName(given)},
			Ver: "1.3.0",
		}},
	})
	if err != nil {
		return nil, err
	}
	k := keys()
	return cose.Sign(nil, k.dcc, cose.KeyIDOf(k.certDER), payload, nil)
}

// resign replaces the ES256 signature that ends the demo DCC signer's
// COSE_Sign1 message msg with a deterministic one (RFC 6979), in place:
// since Go 1.26 crypto/ecdsa draws the nonce of a randomised signature
// from the system whatever reader it is given.
func resign(msg []byte) error {
	m, err := cose.Decode(msg)
	if err != nil {
		return err
	}
	old := m.Signature()
	if len(old) != 64 || string(msg[len(msg)-64:]) != string(old) {
		return errors.New("signature is not the message's last 64 bytes")
	}
	h := sha256.Sum256(m.ToBeSigned())
	der, err := dccKey().Sign(nil, h[:], crypto.SHA256) // nil: RFC 6979
	if err != nil {
		return err
	}
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		return err
	}
	sig.R.FillBytes(msg[len(msg)-64 : len(msg)-32])
	sig.S.FillBytes(msg[len(msg)-32:])
	return nil
}

// dccKey returns the demo DCC signer's private key, which resign needs
// as crypto/ecdsa has it (a cose.Signer keeps its key to itself).
var dccKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	block, _ := pem.Decode([]byte(dccSignerPEM))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		// The key is a constant: a failure is a bug every test shows.
		panic(fmt.Sprintf("sample: demo dcc key: %v", err))
	}
	return k.(*ecdsa.PrivateKey)
})
