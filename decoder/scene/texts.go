package scene

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// issuedAt is the fixed instant every sample credential is issued at, so
// that the texts, and so the QR matrices, never change.
var issuedAt = time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Fixed key seeds. They sign samples only; nothing trusts them.
var (
	issuerSeed = sha256.Sum256([]byte("fuscan scene issuer"))
	holderSeed = sha256.Sum256([]byte("fuscan scene holder"))
	dccSeed    = sha256.Sum256([]byte("fuscan scene dcc signer"))
)

// Texts returns the sample code texts, shortest first, two of each kind
// with different holders: fuscan live codes (FSL1:, about 250 characters,
// QR version 9 at level M), 福码卡 cards (FSC1:, about 270, version 10),
// dynamic codes (FSD1:, about 430, version 13) and EU DCCs (HC1:): one with
// the fields fuscan reads (about 420 characters, version 13), one with
// every field a real certificate carries (about 640, version 16).
//
// The texts are signed with fixed keys at a fixed instant, and the DCCs'
// ECDSA signatures are made with deterministic nonces, so every call in
// every process returns the same texts. They are valid signed credentials,
// but no terminal trusts their keys. The slice is shared: do not modify it.
func Texts() []string {
	return textsOnce()
}

var textsOnce = sync.OnceValue(func() []string {
	texts, err := makeTexts()
	if err != nil {
		// Every input is fixed: a failure is a bug that every test shows.
		panic(fmt.Sprintf("scene: sample texts: %v", err))
	}
	return texts
})

// A holder is the person a sample credential is about.
type holder struct {
	name, given, dob string
	color            credential.Color
}

var holders = []holder{
	{name: "张*", given: "Erika", dob: "1964-08-12", color: credential.ColorGreen},
	{name: "欧阳*", given: "Jean-Baptiste Maximilian", dob: "1987-02-28", color: credential.ColorYellow},
}

// makeTexts issues the sample credentials.
func makeTexts() ([]string, error) {
	issuer, err := cose.NewSigner(ed25519.NewKeyFromSeed(issuerSeed[:]))
	if err != nil {
		return nil, err
	}
	holderKey, err := cose.NewSigner(ed25519.NewKeyFromSeed(holderSeed[:]))
	if err != nil {
		return nil, err
	}
	var texts []string
	for _, kind := range []credential.Kind{credential.KindLive, credential.KindCard, credential.KindDynamic} {
		for i, h := range holders {
			c := claims(kind, h, i)
			var hk *cose.Signer
			if kind == credential.KindDynamic {
				hk = holderKey
			}
			// Ed25519 signs deterministically: Issue's randomness is unused.
			text, err := credential.Issue(issuer, &c, hk, issuedAt)
			if err != nil {
				return nil, fmt.Errorf("%v: %w", kind, err)
			}
			texts = append(texts, text)
		}
	}
	for i, h := range holders {
		text, err := dccText(h, i)
		if err != nil {
			return nil, fmt.Errorf("dcc: %w", err)
		}
		texts = append(texts, text)
	}
	return texts, nil
}

// claims returns the claims of the i-th sample credential of kind.
func claims(kind credential.Kind, h holder, i int) credential.Claims {
	ttl := map[credential.Kind]time.Duration{
		credential.KindLive:    5 * time.Minute,
		credential.KindCard:    30 * 24 * time.Hour,
		credential.KindDynamic: 24 * time.Hour,
	}[kind]
	c := credential.Claims{
		Kind: kind, Issuer: "350000", IssuedAt: issuedAt, ExpiresAt: issuedAt.Add(ttl), NotBefore: issuedAt.Add(-time.Minute),
		Health: credential.Health{Color: h.color, Name: h.name, IDTail: fmt.Sprintf("%04d", 1234+i*4321),
			NATAt: issuedAt.Add(-20 * time.Hour), NATResult: credential.NATNegative, VaxDoses: 3},
	}
	if kind == credential.KindCard {
		c.Serial = fmt.Sprintf("FSC-SCENE%07d", i+1)
	}
	return c
}

// dccText returns an EU DCC for h: a lean vaccination certificate with
// the fields SignDCC writes when i is even, else a full one with every
// field of schema 1.3 as real issuers write it, of a real certificate's
// length (about 600 characters).
func dccText(h holder, i int) (string, error) {
	d, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), dccSeed[:])
	if err != nil {
		return "", err
	}
	s, err := cose.NewSigner(d)
	if err != nil {
		return "", err
	}
	kid, err := cose.KeyID(d.Public())
	if err != nil {
		return "", err
	}
	uvci := fmt.Sprintf("URN:UVCI:01:DE:IZ%05dA/5CWLU12RNOB9RXSEOP6FG8#%c", 12345+i, 'W'+i)
	var msg []byte
	if i%2 == 0 {
		dcc := &credential.DCC{Type: "v", FamilyName: "Mustermann-Gabler", GivenName: h.given, BirthDate: h.dob,
			ID: uvci, Country: "DE", Doses: 2, TotalDoses: 2}
		msg, err = credential.SignDCC(nil, s, kid, "DE", issuedAt, issuedAt.AddDate(1, 0, 0), dcc, nil)
	} else {
		var payload []byte
		payload, err = cose.EncMode.Marshal(fullDCC(h, uvci))
		if err == nil {
			msg, err = cose.Sign(nil, s, kid, payload, nil)
		}
	}
	if err != nil {
		return "", err
	}
	if err := resign(msg, dccSeed[:]); err != nil {
		return "", err
	}
	return credential.Encode(credential.KindDCC, msg), nil
}

// fullDCC returns the CWT claims of an EU DCC vaccination certificate with
// every field a real one carries.
func fullDCC(h holder, uvci string) map[int64]any {
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
	return map[int64]any{
		1: "DE",
		4: issuedAt.AddDate(1, 0, 0).Unix(),
		6: issuedAt.Unix(),
		-260: map[int64]any{1: hcert{
			V: []vaccination{{TG: "840539006", VP: "1119349007", MP: "EU/1/20/1528", MA: "ORG-100030215",
				DN: 3, SD: 3, DT: issuedAt.AddDate(0, -2, 0).Format(time.DateOnly), CO: "DE",
				IS: "Robert Koch-Institut", CI: uvci}},
			DOB: h.dob,
			Nam: name{FN: "Mustermann-Gabler", FNT: credential.MachineReadableName("Mustermann-Gabler"), GN: h.given, GNT: credential.MachineReadableName(h.given)},
			Ver: "1.3.0",
		}},
	}
}

// resign replaces the ES256 signature that ends the COSE_Sign1 message msg
// with one made with a deterministic nonce, in place. crypto/ecdsa always
// draws its nonce from the system's randomness, which would give every
// process a different DCC text and QR matrix.
func resign(msg, priv []byte) error {
	m, err := cose.Decode(msg)
	if err != nil {
		return err
	}
	old := m.Signature()
	if len(old) != 64 || string(msg[len(msg)-64:]) != string(old) {
		return errors.New("signature is not the message's last 64 bytes")
	}
	sig, err := signDeterministic(priv, m.ToBeSigned())
	if err != nil {
		return err
	}
	copy(msg[len(msg)-64:], sig)
	return nil
}

// signDeterministic returns the P-256 ECDSA signature r||s of SHA-256(msg)
// by the private scalar priv, with the nonce derived from priv and the hash
// (as RFC 6979 does, though not by its exact construction).
func signDeterministic(priv, msg []byte) ([]byte, error) {
	n := elliptic.P256().Params().N
	h := sha256.Sum256(msg)
	e := new(big.Int).SetBytes(h[:])
	d := new(big.Int).SetBytes(priv)
	for counter := byte(0); counter < 16; counter++ {
		mac := hmac.New(sha256.New, priv)
		mac.Write(h[:])
		mac.Write([]byte{counter})
		k := new(big.Int).SetBytes(mac.Sum(nil))
		if k.Sign() == 0 || k.Cmp(n) >= 0 {
			continue
		}
		kb := make([]byte, 32)
		k.FillBytes(kb)
		kp, err := ecdh.P256().NewPrivateKey(kb)
		if err != nil {
			continue
		}
		point := kp.PublicKey().Bytes() // 0x04 || X || Y
		r := new(big.Int).SetBytes(point[1:33])
		r.Mod(r, n)
		if r.Sign() == 0 {
			continue
		}
		s := new(big.Int).Mul(r, d)
		s.Add(s, e)
		s.Mul(s, new(big.Int).ModInverse(k, n))
		s.Mod(s, n)
		if s.Sign() == 0 {
			continue
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	}
	return nil, errors.New("no usable nonce")
}
