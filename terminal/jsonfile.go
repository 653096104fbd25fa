package terminal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// decodeStrict decodes the JSON object data into v, more strictly than
// encoding/json does: a field v does not have, a name that matches one only
// case-insensitively or is given twice (checkNames), and anything after the
// object are errors. Policy and trust files go through it: a typo must not
// silently relax a venue's rules.
func decodeStrict(data []byte, v any) error {
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("not a JSON object")
	}
	if err := checkNames(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// checkNames rejects what encoding/json would let pass: a field name that
// matches a known one only case-insensitively, and a name given twice in
// one object, of which the last would silently win. Every name of the
// format is lower-case ASCII.
func checkNames(data []byte) error {
	type level struct {
		object  bool
		wantKey bool
		names   map[string]bool
	}
	var stack []level
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		n := len(stack)
		if n > 0 && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			name, _ := tok.(string)
			switch {
			case !plainName(name):
				return fmt.Errorf("field name %q: want lower-case ASCII letters, digits and _", name)
			case stack[n-1].names[name]:
				return fmt.Errorf("field %q given twice", name)
			}
			stack[n-1].names[name] = true
			stack[n-1].wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{object: true, wantKey: true, names: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, level{})
		case json.Delim(']'):
			stack = stack[:n-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

func plainName(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}
