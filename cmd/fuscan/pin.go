package main

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The admin PIN's hash: argon2id with OWASP's minimum parameters (19 MiB,
// two passes), a random 16-byte salt, written as a PHC string. A PIN has
// few digits: the slow hash and the pad's lockout after wrong PINs are
// what protect it.
const (
	pinMemory  = 19 * 1024 // KiB
	pinTime    = 2
	pinThreads = 1
	pinKeyLen  = 32
	minPIN     = 4
)

var b64 = base64.RawStdEncoding

// hashPIN returns the salted slow hash of pin for ui.admin_pin_hash.
func hashPIN(pin string) (string, error) {
	if len(pin) < minPIN {
		return "", fmt.Errorf("a PIN needs at least %d characters", minPIN)
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pin), salt, pinTime, pinMemory, pinThreads, pinKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, pinMemory, pinTime, pinThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// pinHash is a parsed hash: argon2id's parameters, salt and key.
type pinHash struct {
	memory, passes uint32
	threads        uint8
	salt, key      []byte
}

// parsePINHash reads a hash hashPIN wrote, refusing parameters out of
// bounds (the file it comes from is trusted, but a typo must not make
// the kiosk allocate gigabytes).
func parsePINHash(hash string) (pinHash, bool) {
	var h pinHash
	var version int
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return h, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.passes, &h.threads); err != nil ||
		h.memory < 8 || h.memory > 256*1024 || h.passes < 1 || h.passes > 16 || h.threads < 1 || h.threads > 8 {
		return h, false
	}
	var err1, err2 error
	h.salt, err1 = b64.DecodeString(parts[4])
	h.key, err2 = b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.salt) < 8 || len(h.key) < 16 || len(h.key) > 64 {
		return h, false
	}
	return h, true
}

// checkPIN reports whether pin has hash, a string hashPIN wrote; the
// parameters come from the hash, so stronger ones can be set later.
func checkPIN(hash, pin string) bool {
	h, ok := parsePINHash(hash)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(pin), h.salt, h.passes, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// readPIN reads the PIN from the first line of r.
func readPIN(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
