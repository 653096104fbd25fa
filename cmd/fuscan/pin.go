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

// checkPIN reports whether pin has hash, a string hashPIN wrote; the
// parameters come from the hash, so stronger ones can be set later.
func checkPIN(hash, pin string) bool {
	var version, memory, passes int
	var threads uint8
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory < 8 || memory > 1<<20 || passes < 1 || passes > 16 || threads < 1 {
		return false
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || len(key) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pin), salt, uint32(passes), uint32(memory), threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// readPIN reads the PIN from the first line of r.
func readPIN(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
