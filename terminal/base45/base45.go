// Package base45 implements the Base45 encoding of RFC 9285, the text form
// that QR codes carry in alphanumeric mode (as in the EU DCC "HC1:" codes).
//
// Decoding is strict: a character outside the 45-character alphabet, a
// dangling single character, or a group whose value does not fit its byte
// count is an error, so every text has at most one decoding.
package base45

import (
	"errors"
	"fmt"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// ErrInvalid is returned, wrapped, for any text that is not valid Base45.
var ErrInvalid = errors.New("base45: invalid text")

var values = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		v[alphabet[i]] = int8(i)
	}
	return v
}()

// EncodedLen returns the length of the Base45 encoding of n bytes.
func EncodedLen(n int) int { return n/2*3 + n%2*2 }

// DecodedLen returns the largest number of bytes a text of n characters
// decodes to.
func DecodedLen(n int) int { return n/3*2 + n%3/2 }

// Encode returns the Base45 encoding of src.
func Encode(src []byte) string {
	dst := make([]byte, 0, EncodedLen(len(src)))
	for i := 0; i+1 < len(src); i += 2 {
		n := int(src[i])<<8 | int(src[i+1])
		dst = append(dst, alphabet[n%45], alphabet[n/45%45], alphabet[n/2025])
	}
	if len(src)%2 == 1 {
		n := int(src[len(src)-1])
		dst = append(dst, alphabet[n%45], alphabet[n/45])
	}
	return string(dst)
}

// Decode returns the bytes that text encodes.
func Decode(text string) ([]byte, error) {
	return AppendDecode(make([]byte, 0, DecodedLen(len(text))), text)
}

// AppendDecode appends the bytes that text encodes to dst.
func AppendDecode(dst []byte, text string) ([]byte, error) {
	if len(text)%3 == 1 {
		return dst, fmt.Errorf("%w: length %d leaves a single character", ErrInvalid, len(text))
	}
	for i := 0; i < len(text); i += 3 {
		n, err := group(text, i)
		if err != nil {
			return dst, err
		}
		if i+2 < len(text) {
			if n > 0xFFFF {
				return dst, fmt.Errorf("%w: group at %d exceeds two bytes", ErrInvalid, i)
			}
			dst = append(dst, byte(n>>8), byte(n))
			continue
		}
		if n > 0xFF {
			return dst, fmt.Errorf("%w: final group exceeds one byte", ErrInvalid)
		}
		dst = append(dst, byte(n))
	}
	return dst, nil
}

// group returns the value of the 2 or 3 characters at text[i:].
func group(text string, i int) (int, error) {
	end := min(i+3, len(text))
	n, scale := 0, 1
	for j := i; j < end; j++ {
		v := values[text[j]]
		if v < 0 {
			return 0, fmt.Errorf("%w: character %q at %d", ErrInvalid, text[j], j)
		}
		n += int(v) * scale
		scale *= 45
	}
	return n, nil
}
