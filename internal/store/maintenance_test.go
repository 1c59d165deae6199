package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

const testIP = "192.0.2.10"

// createAgent creates an active agent as the system caller.
func createAgent(t *testing.T, s *store.Store, username string) guichet.Agent {
	t.Helper()
	a, err := s.CreateAgent(context.Background(), guichet.AgentCreate{Username: username, DisplayName: username,
		Roles: []guichet.Role{guichet.RoleAgent}, Password: "password-" + username})
	if err != nil {
		t.Fatalf("create agent %s: %v", username, err)
	}
	return a
}

func login(t *testing.T, s *store.Store, username string) guichet.TokenPair {
	t.Helper()
	pair, err := s.Login(context.Background(), username, "password-"+username, testIP)
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return pair
}

func failLogin(t *testing.T, s *store.Store, username string) {
	t.Helper()
	if _, err := s.Login(context.Background(), username, "wrong", testIP); guichet.ErrorCode(err) != guichet.EUNAUTHORIZED {
		t.Fatalf("failed login %s: got %v, want EUNAUTHORIZED", username, err)
	}
}

func claim(t *testing.T, s *store.Store, key string) {
	t.Helper()
	c := store.IdempotencyClaim{Scope: "agent:test", Key: key, Method: "POST", Path: "/contacts", RequestHash: "h"}
	if _, err := s.ClaimIdempotencyKey(context.Background(), c); err != nil {
		t.Fatalf("claim %s: %v", key, err)
	}
}

// With IdempotencyTTL and RefreshTTL of 1h (see newStore), PurgeExpired
// removes idempotency keys past expiry, refresh tokens a day past expiry
// and login counters quiet for a day; it keeps everything younger.
func TestPurgeExpired(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := setup(t, b, nil)
		s, ctx := e.Store, context.Background()
		createAgent(t, s, "alice")

		// Three days ago: everything here is expired by now.
		claim(t, s, "old")
		login(t, s, "alice")
		failLogin(t, s, "mallory")
		now := start.Add(72 * time.Hour)
		// Expired two hours ago, within the day's grace: kept so that a late
		// reuse is still recognised.
		e.Clock.Set(now.Add(-2 * time.Hour))
		login(t, s, "alice")
		e.Clock.Set(now)
		claim(t, s, "fresh")
		login(t, s, "alice")
		failLogin(t, s, "trudy")

		n, err := s.PurgeExpired(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("PurgeExpired removed %d rows, want 3", n)
		}
		for _, c := range []struct {
			table, where string
			args         []any
		}{
			{"idempotency_keys", "key = ?", []any{"fresh"}},
			{"refresh_tokens", "created_at >= ?", []any{now.Add(-2 * time.Hour)}},
			{"login_failures", "username = ?", []any{"trudy"}},
		} {
			all, kept := count(t, e.DB, c.table, ""), count(t, e.DB, c.table, c.where, c.args...)
			if all != kept {
				t.Errorf("%s: %d rows remain, want only the %d fresh ones", c.table, all, kept)
			}
		}
		if n := count(t, e.DB, "refresh_tokens", ""); n != 2 {
			t.Errorf("refresh_tokens: %d rows remain, want 2 (in grace, fresh)", n)
		}
		if n := count(t, e.DB, "idempotency_keys", ""); n != 1 {
			t.Errorf("idempotency_keys: %d rows remain, want 1", n)
		}
		if n := count(t, e.DB, "login_failures", ""); n != 1 {
			t.Errorf("login_failures: %d rows remain, want 1", n)
		}

		if n, err := s.PurgeExpired(ctx); err != nil || n != 0 {
			t.Errorf("second PurgeExpired: %d, %v; want 0, nil", n, err)
		}
	})
}
