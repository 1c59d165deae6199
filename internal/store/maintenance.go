package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/guichet/guichet/internal/guichet"
)

// PurgeExpired deletes expired idempotency records, refresh tokens past
// their expiry (kept a day longer so that a late reuse is still detected
// as such) and stale login-failure counters. It returns the rows removed.
func (s *Store) PurgeExpired(ctx context.Context) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *Tx) error {
		for _, q := range []struct {
			table, where string
			arg          time.Time
		}{
			{"idempotency_keys", "expires_at < ?", tx.Now},
			{"refresh_tokens", "expires_at < ?", tx.Now.Add(-24 * time.Hour)},
			{"login_failures", "last_failed_at < ? AND (blocked_until IS NULL OR blocked_until < ?)", tx.Now.Add(-24 * time.Hour)},
		} {
			args := []any{q.arg}
			if q.table == "login_failures" {
				args = append(args, tx.Now)
			}
			res, err := tx.NewDelete().TableExpr(q.table).Where(q.where, args...).Exec(ctx)
			if err != nil {
				return fmt.Errorf("purge %s: %w", q.table, err)
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		return nil
	})
	return total, wrap("purge expired", err)
}

// EnsureAdmin creates the first admin when there is no agent at all. It
// returns the password it generated ("" when password was given or an
// agent already existed), to be shown once.
func (s *Store) EnsureAdmin(ctx context.Context, password string) (string, error) {
	n, err := s.db.read.NewSelect().Model((*agentRow)(nil)).Count(ctx)
	if err != nil {
		return "", fmt.Errorf("count agents: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	generated := ""
	if password == "" {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		password = base64.RawURLEncoding.EncodeToString(b)
		generated = password
	}
	_, err = s.CreateAgent(ctx, guichet.AgentCreate{Username: "admin", DisplayName: "Administrateur",
		Roles: []guichet.Role{guichet.RoleAdmin, guichet.RoleManager}, Password: password})
	if guichet.ErrorCode(err) == guichet.ECONFLICT {
		return "", nil // another replica created it first
	}
	return generated, err
}
