package store

import (
	"sync"
	"time"

	"github.com/guichet/guichet/internal/guichet"
)

// Every request authenticates, and a script sends thousands: the caller
// found for a credential is kept for authCacheTTL. A revocation, a
// deactivation or a password change made through this process clears the
// cache at once; one made through another replica takes effect here
// within authCacheTTL.
const (
	authCacheTTL = 2 * time.Second
	authCacheMax = 10_000
)

type authEntry struct {
	caller  guichet.Caller
	expires time.Time
}

type authCache struct {
	mu      sync.Mutex
	entries map[string]authEntry
}

func newAuthCache() *authCache { return &authCache{entries: make(map[string]authEntry)} }

func (c *authCache) get(key string, now time.Time) (guichet.Caller, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		return guichet.Caller{}, false
	}
	return e.caller, true
}

// put keeps caller until expires (at most authCacheTTL from now).
func (c *authCache) put(key string, caller guichet.Caller, now, expires time.Time) {
	if limit := now.Add(authCacheTTL); expires.IsZero() || expires.After(limit) {
		expires = limit
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= authCacheMax {
		clear(c.entries)
	}
	c.entries[key] = authEntry{caller: caller, expires: expires}
}

// reset forgets every entry.
func (c *authCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// forgetCredentials clears the cache once tx commits; every write that
// revokes a credential or changes an agent calls it.
func (tx *Tx) forgetCredentials() {
	if tx.auth != nil {
		tx.AfterCommit(tx.auth.reset)
	}
}
