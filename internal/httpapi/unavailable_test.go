package httpapi_test

import (
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/guichet/guichet/internal/apitest"
	"github.com/guichet/guichet/internal/testdb"
)

// TestDatabaseDownAnswers503 cuts the server off its PostgreSQL database
// (no new connection allowed, existing ones terminated): requests get 503
// with Retry-After, never 500, and service resumes when it comes back.
func TestDatabaseDownAnswers503(t *testing.T) {
	if os.Getenv(testdb.EnvURL) == "" {
		t.Skip("needs PostgreSQL: set " + testdb.EnvURL)
	}
	t.Parallel()
	e := apitest.Start(t, testdb.Backend{Name: "postgres"})
	_, key := e.APIToken(e.Admin, "contacts:read", "contacts:write")
	e.Get(key, "/contacts").Expect(t, 200)

	u, err := url.Parse(e.Main.Config.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("pgx", os.Getenv(testdb.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("ALTER DATABASE " + dbName + " WITH ALLOW_CONNECTIONS false")
	exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + dbName + "'")

	for _, path := range []string{"/readyz", "/contacts"} {
		r := e.Get(key, path)
		if r.Status != 503 {
			t.Fatalf("%s with the database down: %d %s", path, r.Status, r.Body)
		}
		r.Problem(t)
		if r.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: no Retry-After", path)
		}
	}
	r := e.Post(key, "/contacts", map[string]any{"last_name": "Dupont", "individual": true})
	if r.Status != 503 {
		t.Fatalf("create with the database down: %d %s", r.Status, r.Body)
	}

	exec("ALTER DATABASE " + dbName + " WITH ALLOW_CONNECTIONS true")
	// Connections the outage broke are dropped as they are found out: the
	// service is back within moments, without a restart.
	deadline := time.Now().Add(10 * time.Second)
	for e.Get("", "/readyz").Status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("still not ready 10 s after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.Post(key, "/contacts", map[string]any{"last_name": "Dupont", "individual": true}).Expect(t, 201)
}
