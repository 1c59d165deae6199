package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/config"
	"github.com/guichet/guichet/internal/testdb"
)

func TestCORSAllowsOnlyConfiguredOrigins(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := apitest.Start(t, b, func(c *config.Config) { c.CORSOrigins = []string{"https://front.example.fr"} })
		preflight := func(origin string) *apitest.Response {
			return e.Do(apitest.Req{Method: http.MethodOptions, Path: "/contacts", Headers: map[string]string{
				"Origin": origin, "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
			}})
		}
		ok := preflight("https://front.example.fr")
		if got := ok.Header.Get("Access-Control-Allow-Origin"); got != "https://front.example.fr" {
			t.Fatalf("allowed origin: Access-Control-Allow-Origin %q (status %d)", got, ok.Status)
		}
		if bad := preflight("https://evil.example.com"); bad.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("unlisted origin allowed: %v", bad.Header)
		}
		r := e.Do(apitest.Req{Method: http.MethodGet, Path: "/contacts", Token: e.Admin,
			Headers: map[string]string{"Origin": "https://front.example.fr"}}).Expect(t, 200)
		if r.Header.Get("Access-Control-Expose-Headers") == "" {
			t.Fatal("ETag and Location must be exposed to browsers")
		}
	})
}
