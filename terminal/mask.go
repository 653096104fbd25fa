package terminal

import "unicode/utf8"

// MaskName shows a name as its first character and two stars, whatever
// its length, so that the length does not show: 张三 → 张**, 欧阳娜娜 →
// 欧**, Müller → M**. A one-character name shows as a single star, since
// its first character is all of it: 岚 → *. It is idempotent.
func MaskName(name string) string {
	first, size := utf8.DecodeRuneInString(name)
	switch {
	case size == 0:
		return ""
	case size == len(name):
		return "*"
	}
	return string(first) + "**"
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
