package httpapi_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

func TestHealthAndReadiness(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		e.Get("", "/healthz").Expect(t, 200)
		r := e.Get("", "/readyz").Expect(t, 200)
		if m := r.Map(t); m["status"] != "ok" {
			t.Fatalf("readyz %v", m)
		}
		e.Get(e.Admin, "/me").Expect(t, 200)
	})
}

func TestServesTheContract(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b)
		want, err := os.ReadFile("../../openapi.yaml")
		if err != nil {
			t.Fatal(err)
		}
		r := e.Get("", "/openapi.yaml").Expect(t, 200)
		if !bytes.Equal(r.Body, want) {
			t.Fatal("GET /openapi.yaml is not the repository's openapi.yaml: run make generate")
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/yaml" {
			t.Fatalf("content type %q", ct)
		}
	})
}
