package httpapi_test

import (
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
