package main

import (
	"strings"
	"testing"
)

// FuzzParsePINHash: the hash from the config file never panics the kiosk
// or asks argon2 for more than its bounds.
func FuzzParsePINHash(f *testing.F) {
	for _, seed := range []string{"", "$argon2id$v=19$m=19456,t=2,p=1$VHOleQTgU7WtgBDrYGX9xg$a/Vhjb8BXx/VAb7A47/+dabYtVzpVLFZI6HFMbZm/Ds",
		"$argon2id$v=19$m=1,t=1,p=1$AA$AA", "$argon2i$v=19$m=19456,t=2,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=2,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, hash string) {
		h, ok := parsePINHash(hash)
		if !ok {
			return
		}
		if h.memory > 256*1024 || h.passes > 16 || h.threads > 8 || len(h.key) > 64 || !strings.HasPrefix(hash, "$argon2id$") {
			t.Errorf("parsePINHash(%q) = %+v: out of bounds", hash, h)
		}
	})
}
