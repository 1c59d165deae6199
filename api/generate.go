// Package api holds the code generated from openapi.yaml: models, the strict
// Echo server interface and a client for scripts. Never edit api.gen.go or
// openapi.yaml here; run `make generate`.
package api

//go:generate go tool oapi-codegen -config config.yaml ../openapi.yaml
//go:generate cp ../openapi.yaml openapi.yaml
