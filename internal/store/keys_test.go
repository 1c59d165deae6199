package store_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/store"
	"github.com/guichet/guichet/internal/testdb"
)

// kid returns the key ID in a JWT's header.
func kid(t *testing.T, token string) string {
	t.Helper()
	header, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		t.Fatalf("decode JWT header: %v", err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil || h.Kid == "" {
		t.Fatalf("JWT header %s: no kid (%v)", b, err)
	}
	return h.Kid
}

// activeKid returns the ID of the one signing key that is not retired.
func activeKid(t *testing.T, db *store.DB) string {
	t.Helper()
	var ids []string
	err := db.ReadDB().NewSelect().TableExpr("signing_keys").Column("id").Where("retired_at IS NULL").
		Scan(context.Background(), &ids)
	if err != nil || len(ids) != 1 {
		t.Fatalf("active signing keys %v (%v), want exactly one", ids, err)
	}
	return ids[0]
}

func authenticates(t *testing.T, s *store.Store, token, agentID, what string) {
	t.Helper()
	c, err := s.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if c.Agent.ID != agentID {
		t.Fatalf("%s: authenticated as %q, want %q", what, c.Agent.ID, agentID)
	}
}

func TestRotateSigningKey(t *testing.T) {
	testdb.Run(t, func(t *testing.T, b testdb.Backend) {
		e := setup(t, b, nil)
		// A second store on the same database stands for another replica.
		replicaDB, err := store.OpenDB(context.Background(), &e.Config)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { replicaDB.Close() })
		replica := newStore(t, replicaDB, e.Config, e.Clock, nil)

		alice := createAgent(t, e.Store, "alice")
		before := login(t, e.Store, "alice").AccessToken
		oldKid := kid(t, before)
		if oldKid != activeKid(t, e.DB) {
			t.Fatalf("token signed with %s, want the active key %s", oldKid, activeKid(t, e.DB))
		}
		authenticates(t, replica, before, alice.ID, "replica, token from the first store")

		e.Clock.Advance(time.Minute)
		if err := e.Store.RotateSigningKey(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Minute)

		t.Run("TokenSignedBeforeStillVerifies", func(t *testing.T) {
			authenticates(t, e.Store, before, alice.ID, "old token on the rotating store")
			authenticates(t, replica, before, alice.ID, "old token on the replica")
		})
		after := login(t, e.Store, "alice").AccessToken
		t.Run("NewTokensUseNewKey", func(t *testing.T) {
			newKid := kid(t, after)
			if newKid == oldKid {
				t.Fatalf("token signed after rotation still uses kid %s", oldKid)
			}
			if want := activeKid(t, e.DB); newKid != want {
				t.Fatalf("token signed with %s, want the active key %s", newKid, want)
			}
		})
		t.Run("ReplicaAcceptsNewKey", func(t *testing.T) {
			authenticates(t, replica, after, alice.ID, "new token on the replica")
		})
		t.Run("FirstStoreAcceptsReplicaTokens", func(t *testing.T) {
			authenticates(t, e.Store, login(t, replica, "alice").AccessToken, alice.ID, "replica's token on the first store")
		})
	})
}
