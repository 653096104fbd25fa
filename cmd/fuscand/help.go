package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
)

// configHelp lists the config file's fields, in the order of the Config
// type, with their descriptions from the schema, so that the help and the
// schema cannot disagree.
func configHelp() string {
	type property struct {
		Description string              `json:"description"`
		Default     any                 `json:"default"`
		Properties  map[string]property `json:"properties"`
	}
	var schema struct {
		Properties map[string]property `json:"properties"`
	}
	if err := json.Unmarshal(firmwareconfig.Schema, &schema); err != nil {
		return fmt.Sprintf("  (the schema does not parse: %v)\n", err)
	}
	var b strings.Builder
	var list func(t reflect.Type, props map[string]property, prefix string)
	list = func(t reflect.Type, props map[string]property, prefix string) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			p := props[name]
			if f.Type.Kind() == reflect.Struct && p.Properties != nil {
				list(f.Type, p.Properties, prefix+name+".")
				continue
			}
			line := p.Description
			if p.Default != nil {
				line += fmt.Sprintf(" Default: %v.", p.Default)
			}
			fmt.Fprintf(&b, "  %-16s %s\n", prefix+name, line)
		}
	}
	list(reflect.TypeFor[firmwareconfig.Config](), schema.Properties, "")
	return b.String()
}
