package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/testdb"
)

// A failed login is counted per (username, address), from the first one;
// concurrent first failures (the insert's ON CONFLICT path on PostgreSQL)
// are refused as bad credentials or rate-limited, never an internal error.
func TestFailedLoginsAreCounted(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := setup(t, b, nil)
		createAgent(t, e.Store, "alice")

		t.Run("Sequential", func(t *testing.T) {
			for range 3 {
				failLogin(t, e.Store, "alice")
			}
			if n := count(t, e.DB, "login_failures", "username = ? AND ip = ? AND failures = 3", "alice", testIP); n != 1 {
				t.Fatalf("no login_failures row with 3 failures for alice")
			}
		})
		t.Run("ConcurrentFirstFailures", func(t *testing.T) {
			const attempts = 8
			errs := make(chan error, attempts)
			var wg sync.WaitGroup
			for range attempts {
				wg.Go(func() {
					_, err := e.Store.Login(context.Background(), "bob", "wrong", testIP)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			refused := 0 // each refusal (not a back-off) is one counted failure
			for err := range errs {
				switch c := guichet.ErrorCode(err); c {
				case guichet.EUNAUTHORIZED:
					refused++
				case guichet.ERATELIMITED:
				default:
					t.Errorf("concurrent failed login: %v, want EUNAUTHORIZED or ERATELIMITED", err)
				}
			}
			if n := count(t, e.DB, "login_failures", "username = ? AND failures = ?", "bob", refused); n != 1 {
				t.Fatalf("login_failures does not count the %d concurrent failures exactly", refused)
			}
		})
	})
}
