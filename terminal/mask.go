package terminal

import (
	"strings"
	"unicode/utf8"
)

// MaskName shows a name as its first character and a * for each further
// one: 张三 → 张*, 欧阳娜娜 → 欧***. It is idempotent, so a name the issuer
// already masked stays as it is.
func MaskName(name string) string {
	first, size := utf8.DecodeRuneInString(name)
	if size == 0 {
		return ""
	}
	return string(first) + strings.Repeat("*", utf8.RuneCountInString(name[size:]))
}

// IDTail returns the last 4 characters of an ID number, or fewer if it is
// shorter.
func IDTail(id string) string {
	n := utf8.RuneCountInString(id)
	if n <= 4 {
		return id
	}
	for i := range id {
		if n == 4 {
			return id[i:]
		}
		n--
	}
	return id
}
