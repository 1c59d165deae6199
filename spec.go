// Package guichet embeds the contract so that the binary serves the
// openapi.yaml it was built from.
package guichet

import _ "embed"

// Spec is openapi.yaml.
//
//go:embed openapi.yaml
var Spec []byte
