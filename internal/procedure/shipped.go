package procedure

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/guichet/guichet/internal/guichet"
)

//go:embed definitions/*.json
var shippedFS embed.FS

// Shipped returns the definitions Guichet seeds at start: assistance
// (procedure #46) and travaux (works requests). Each is valid.
func Shipped() ([]Definition, error) {
	files, err := fs.Glob(shippedFS, "definitions/*.json")
	if err != nil {
		return nil, err
	}
	var out []Definition
	for _, name := range files {
		b, err := shippedFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		d, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// Parse decodes a definition, refusing unknown members so that a typo in
// a guard's parameter is not silently ignored.
func Parse(b []byte) (Definition, error) {
	var d Definition
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("procedure: decode definition: %w", err)
	}
	return d, nil
}

// DefaultMapping is the procedure each category follows until an admin
// changes it: works requests follow travaux, everything else procedure #46.
func DefaultMapping() map[guichet.Category]string {
	m := make(map[guichet.Category]string, len(guichet.Categories))
	for _, c := range guichet.Categories {
		m[c] = "assistance"
	}
	m[guichet.CategoryWorksRequest] = "travaux"
	return m
}
