package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/guichet"
)

type refreshTokenRow struct {
	bun.BaseModel `bun:"table:refresh_tokens"`

	ID        string     `bun:"id,pk"`
	FamilyID  string     `bun:"family_id"`
	AgentID   string     `bun:"agent_id"`
	TokenHash string     `bun:"token_hash"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
	RevokedAt *time.Time `bun:"revoked_at"`
	CreatedAt time.Time  `bun:"created_at"`
}

type loginFailureRow struct {
	bun.BaseModel `bun:"table:login_failures"`

	Username     string     `bun:"username,pk"`
	IP           string     `bun:"ip,pk"`
	Failures     int        `bun:"failures"`
	LastFailedAt time.Time  `bun:"last_failed_at"`
	BlockedUntil *time.Time `bun:"blocked_until"`
}

// maxLoginBackoff caps the wait after repeated failures.
const maxLoginBackoff = 15 * time.Minute

var errBadCredentials = guichet.Errorf(guichet.EUNAUTHORIZED, "invalid username or password")

// Login checks a password and opens a session. Failures are counted per
// (username, address) in the database, so the back-off holds across
// restarts and replicas and nobody elsewhere can lock an agent out.
func (s *Store) Login(ctx context.Context, username, password, ip string) (guichet.TokenPair, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if err := s.checkLoginBackoff(ctx, username, ip); err != nil {
		return guichet.TokenPair{}, err
	}
	var row agentRow
	err := s.db.read.NewSelect().Model(&row).Where("username = ?", username).Scan(ctx)
	if err != nil && !isNoRows(err) {
		return guichet.TokenPair{}, wrap("login", err)
	}
	ok := false
	if err == nil {
		if ok, err = s.opts.Hasher.Verify(ctx, password, row.PasswordHash); err != nil {
			return guichet.TokenPair{}, fmt.Errorf("verify password: %w", err)
		}
	} else {
		s.opts.Hasher.VerifyDummy(ctx, password)
	}
	if !ok || !row.Active {
		if err := s.recordLoginFailure(ctx, username, ip); err != nil {
			return guichet.TokenPair{}, err
		}
		return guichet.TokenPair{}, errBadCredentials
	}
	ctx = guichet.WithCaller(ctx, guichet.Caller{Agent: row.domain(), IP: ip, RequestID: guichet.CallerFrom(ctx).RequestID})
	var pair guichet.TokenPair
	err = s.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.NewDelete().Model((*loginFailureRow)(nil)).Where("username = ? AND ip = ?", username, ip).Exec(ctx); err != nil {
			return fmt.Errorf("clear failures: %w", err)
		}
		var err error
		family := newID()
		if pair, err = s.issueTokens(ctx, tx, row.ID, family); err != nil {
			return err
		}
		return audit(ctx, tx, "login", "session", family, nil, map[string]string{"ip": ip})
	})
	return pair, wrap("login", err)
}

func (s *Store) checkLoginBackoff(ctx context.Context, username, ip string) error {
	var f loginFailureRow
	err := s.db.read.NewSelect().Model(&f).Where("username = ? AND ip = ?", username, ip).Scan(ctx)
	if err != nil {
		if isNoRows(err) {
			return nil
		}
		return wrap("login", err)
	}
	now := s.now()
	if f.BlockedUntil != nil && f.BlockedUntil.After(now) {
		wait := f.BlockedUntil.Sub(now)
		return &guichet.Error{Code: guichet.ERATELIMITED, RetryAfter: wait,
			Message: fmt.Sprintf("too many failed logins; retry in %d seconds", int(math.Ceil(wait.Seconds())))}
	}
	return nil
}

// loginBackoff is the wait after n failures: none for the first free ones,
// then 1 s doubling up to maxLoginBackoff.
func loginBackoff(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	d := time.Second << min(failures-free, 20)
	return min(d, maxLoginBackoff)
}

func (s *Store) recordLoginFailure(ctx context.Context, username, ip string) error {
	return wrap("record login failure", s.inTx(ctx, func(tx *Tx) error {
		// One atomic upsert counts the failure, so that concurrent failures
		// on several replicas all count; counts restart after a quiet day.
		var failures int
		err := tx.NewRaw(`INSERT INTO login_failures AS f (username, ip, failures, last_failed_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (username, ip) DO UPDATE SET
				failures = CASE WHEN f.last_failed_at < ? THEN 1 ELSE f.failures + 1 END,
				last_failed_at = EXCLUDED.last_failed_at
			RETURNING failures`, username, ip, tx.Now, tx.Now.Add(-24*time.Hour)).Scan(ctx, &failures)
		if err != nil {
			return fmt.Errorf("count failure: %w", err)
		}
		var until *time.Time
		if d := loginBackoff(failures, s.opts.LoginFreeFailures); d > 0 {
			t := tx.Now.Add(d)
			until = &t
		}
		_, err = tx.NewUpdate().Model((*loginFailureRow)(nil)).Set("blocked_until = ?", until).
			Where("username = ? AND ip = ?", username, ip).Exec(ctx)
		return err
	}))
}

// issueTokens signs an access token and stores a new refresh token of the
// family.
func (s *Store) issueTokens(ctx context.Context, tx *Tx, agentID, family string) (guichet.TokenPair, error) {
	plain, hash := auth.NewRefreshToken()
	row := refreshTokenRow{ID: newID(), FamilyID: family, AgentID: agentID, TokenHash: hash,
		ExpiresAt: tx.Now.Add(s.opts.RefreshTTL), CreatedAt: tx.Now}
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		return guichet.TokenPair{}, fmt.Errorf("store refresh token: %w", err)
	}
	access, exp, err := s.keys.Sign(ctx, agentID, family, tx.Now)
	if err != nil {
		return guichet.TokenPair{}, fmt.Errorf("sign access token: %w", err)
	}
	return guichet.TokenPair{AccessToken: access, ExpiresIn: exp.Sub(tx.Now), RefreshToken: plain}, nil
}

var errBadRefresh = guichet.Errorf(guichet.EUNAUTHORIZED, "the refresh token is invalid, expired or revoked; log in again")

// Refresh spends a refresh token for a new pair. Presenting a token that
// was already spent means it leaked: the whole family is revoked.
func (s *Store) Refresh(ctx context.Context, plain string) (guichet.TokenPair, error) {
	var pair guichet.TokenPair
	reused := false
	err := s.inTx(ctx, func(tx *Tx) error {
		var row refreshTokenRow
		if err := tx.NewSelect().Model(&row).Where("token_hash = ?", auth.HashToken(plain)).Scan(ctx); err != nil {
			return notFoundOr(err, "refresh token")
		}
		if row.RevokedAt != nil || !row.ExpiresAt.After(tx.Now) {
			return errBadRefresh
		}
		res, err := tx.NewUpdate().Model((*refreshTokenRow)(nil)).Set("used_at = ?", tx.Now).
			Where("id = ? AND used_at IS NULL", row.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("spend refresh token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			reused = true
			return revokeFamily(ctx, tx, row.FamilyID, "reuse")
		}
		agent, err := loadAgent(ctx, tx, row.AgentID)
		if err != nil || !agent.Active {
			return errBadRefresh
		}
		pair, err = s.issueTokens(ctx, tx, row.AgentID, row.FamilyID)
		return err
	})
	if reused {
		return pair, guichet.Errorf(guichet.EUNAUTHORIZED, "this refresh token was already used: the session is revoked; log in again")
	}
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return pair, errBadRefresh
	}
	return pair, wrap("refresh", err)
}

// Logout revokes the session the refresh token belongs to; unknown tokens
// are ignored so that logout is idempotent.
func (s *Store) Logout(ctx context.Context, plain string) error {
	return wrap("logout", s.inTx(ctx, func(tx *Tx) error {
		var row refreshTokenRow
		if err := tx.NewSelect().Model(&row).Where("token_hash = ?", auth.HashToken(plain)).Scan(ctx); err != nil {
			if isNoRows(err) {
				return nil
			}
			return err
		}
		return revokeFamily(ctx, tx, row.FamilyID, "logout")
	}))
}

func revokeFamily(ctx context.Context, tx *Tx, family, why string) error {
	tx.forgetCredentials()
	if _, err := tx.NewUpdate().Model((*refreshTokenRow)(nil)).Set("revoked_at = ?", tx.Now).
		Where("family_id = ? AND revoked_at IS NULL", family).Exec(ctx); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return audit(ctx, tx, "revoke", "session", family, nil, map[string]string{"reason": why})
}

// revokeAgentSessions ends every session of an agent (password change,
// deactivation).
func revokeAgentSessions(ctx context.Context, tx *Tx, agentID string) error {
	tx.forgetCredentials()
	if _, err := tx.NewUpdate().Model((*refreshTokenRow)(nil)).Set("revoked_at = ?", tx.Now).
		Where("agent_id = ? AND revoked_at IS NULL", agentID).Exec(ctx); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

var errBadToken = guichet.Errorf(guichet.EUNAUTHORIZED, "the token is invalid, expired or revoked")

// Authenticate turns a bearer credential (access JWT or API token) into the
// caller; an inactive agent is refused.
func (s *Store) Authenticate(ctx context.Context, bearer string) (guichet.Caller, error) {
	if auth.IsAPIToken(bearer) {
		return s.authenticateAPIToken(ctx, bearer)
	}
	now := s.now()
	claims, err := s.keys.Verify(ctx, bearer, now)
	if err != nil {
		return guichet.Caller{}, guichet.Errorf(guichet.EUNAUTHORIZED, "the access token is not valid (%s)", tokenReason(err))
	}
	key := "jwt:" + claims.Subject + ":" + claims.Family
	if c, ok := s.auth.get(key, now); ok {
		return c, nil
	}
	row, err := loadAgent(ctx, s.db.read, claims.Subject)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND || (err == nil && !row.Active) {
		return guichet.Caller{}, errBadToken
	} else if err != nil {
		return guichet.Caller{}, err
	}
	// A session ended by logout, reuse detection or a password change
	// takes its access tokens with it, not only its refresh tokens.
	if !validID(claims.Family) {
		return guichet.Caller{}, errBadToken
	}
	revoked, err := s.db.read.NewSelect().Model((*refreshTokenRow)(nil)).
		Where("family_id = ? AND revoked_at IS NOT NULL", claims.Family).Exists(ctx)
	if err != nil {
		return guichet.Caller{}, wrap("authenticate", err)
	}
	if revoked {
		return guichet.Caller{}, guichet.Errorf(guichet.EUNAUTHORIZED, "this session has ended; log in again")
	}
	caller := guichet.Caller{Agent: row.domain()}
	s.auth.put(key, caller, now, claims.ExpiresAt.Time)
	return caller, nil
}

// tokenReason is the short reason of a verification failure ("expired",
// "wrong audience"), safe to show.
func tokenReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "invalid token: "); i >= 0 {
		return msg[i+len("invalid token: "):]
	}
	return "invalid"
}
