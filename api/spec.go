package api

import _ "embed"

// Spec is the contract (a copy of the root openapi.yaml that `make
// generate` refreshes), served at GET /openapi.yaml.
//
//go:embed openapi.yaml
var Spec []byte
