package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/auth"
	"github.com/guichet/guichet/internal/guichet"
)

type apiTokenRow struct {
	bun.BaseModel `bun:"table:api_tokens,alias:api_token"`

	ID        string     `bun:"id,pk"`
	AgentID   string     `bun:"agent_id"`
	Name      string     `bun:"name"`
	TokenHash string     `bun:"token_hash"`
	Scopes    string     `bun:"scopes"`
	ExpiresAt *time.Time `bun:"expires_at"`
	RevokedAt *time.Time `bun:"revoked_at"`
	CreatedAt time.Time  `bun:"created_at"`
}

func (r *apiTokenRow) domain() guichet.APIToken {
	var scopes []guichet.Scope
	_ = json.Unmarshal([]byte(r.Scopes), &scopes)
	return guichet.APIToken{ID: r.ID, AgentID: r.AgentID, Name: r.Name, Scopes: scopes,
		ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt, CreatedAt: r.CreatedAt}
}

// CreateAPIToken creates a token acting for the caller and returns its
// secret, which is never stored. An API token cannot mint another, and
// nobody mints one for someone else.
func (s *Store) CreateAPIToken(ctx context.Context, in guichet.APIToken) (guichet.APIToken, string, error) {
	c := guichet.CallerFrom(ctx)
	if c.IsSystem() || c.TokenID != "" {
		return guichet.APIToken{}, "", guichet.Errorf(guichet.EFORBIDDEN, "API tokens are created in a session, not with another API token")
	}
	for _, sc := range in.Scopes {
		if !sc.Valid() {
			return guichet.APIToken{}, "", guichet.Invalid("scopes", fmt.Sprintf("unknown scope %q", sc))
		}
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		return guichet.APIToken{}, "", guichet.Invalid("expires_at", "must be in the future")
	}
	plain, hash := auth.NewAPIToken()
	scopes, _ := json.Marshal(in.Scopes)
	row := apiTokenRow{ID: newID(), AgentID: c.Agent.ID, Name: in.Name, TokenHash: hash, Scopes: string(scopes), ExpiresAt: in.ExpiresAt}
	if row.ExpiresAt != nil {
		utc := row.ExpiresAt.UTC()
		row.ExpiresAt = &utc
	}
	err := s.inTx(ctx, func(tx *Tx) error {
		row.CreatedAt = tx.Now
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return fmt.Errorf("insert api token: %w", err)
		}
		return audit(ctx, tx, "create", "api_token", row.ID, nil, row.domain())
	})
	if err != nil {
		return guichet.APIToken{}, "", wrap("create api token", err)
	}
	return row.domain(), plain, nil
}

// ListAPITokens lists an agent's tokens, newest first: one's own, or
// anyone's for an admin.
func (s *Store) ListAPITokens(ctx context.Context, agentID string, p guichet.PageRequest) (guichet.Page[guichet.APIToken], error) {
	var page guichet.Page[guichet.APIToken]
	c := guichet.CallerFrom(ctx)
	if agentID == "" {
		agentID = c.Agent.ID
	}
	if agentID != c.Agent.ID && !c.Agent.HasRole(guichet.RoleAdmin) {
		return page, guichet.Errorf(guichet.EFORBIDDEN, "only admins list another agent's tokens")
	}
	if c.TokenID != "" {
		return page, guichet.Errorf(guichet.EFORBIDDEN, "API tokens are managed in a session")
	}
	var cur cursor
	if err := decodeCursor(p.Cursor, "api_tokens", &cur); err != nil {
		return page, err
	}
	q := s.db.read.NewSelect().Model((*apiTokenRow)(nil)).Where("agent_id = ?", agentID)
	if cur.ID != "" {
		q = q.Where("id < ?", cur.ID)
	}
	var rows []apiTokenRow
	n := p.Size()
	if err := q.Order("id DESC").Limit(n+1).Scan(ctx, &rows); err != nil {
		return page, wrap("list api tokens", err)
	}
	for i := range rows {
		if i == n {
			page.NextCursor = encodeCursor("api_tokens", "", rows[n-1].ID)
			break
		}
		page.Items = append(page.Items, rows[i].domain())
	}
	return page, nil
}

// RevokeAPIToken revokes a token: its agent's or, for an admin, anyone's.
func (s *Store) RevokeAPIToken(ctx context.Context, id string) error {
	c := guichet.CallerFrom(ctx)
	return wrap("revoke api token", s.inTx(ctx, func(tx *Tx) error {
		var row apiTokenRow
		if !validID(id) {
			return notFound("API token")
		}
		if err := tx.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
			return notFoundOr(err, "API token")
		}
		if row.AgentID != c.Agent.ID && !c.Agent.HasRole(guichet.RoleAdmin) {
			return notFound("API token")
		}
		if row.RevokedAt != nil {
			return nil
		}
		before := row.domain()
		row.RevokedAt = &tx.Now
		tx.forgetCredentials()
		if _, err := tx.NewUpdate().Model(&row).Column("revoked_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("revoke api token: %w", err)
		}
		return audit(ctx, tx, "revoke", "api_token", row.ID, before, row.domain())
	}))
}

// authenticateAPIToken finds the token and its agent in one query: it runs
// on every request of a script.
func (s *Store) authenticateAPIToken(ctx context.Context, plain string) (guichet.Caller, error) {
	now := s.now()
	key := "api:" + auth.HashToken(plain)
	if c, ok := s.auth.get(key, now); ok {
		return c, nil
	}
	var row struct {
		apiTokenRow `bun:",extend"`
		Agent       agentRow `bun:"rel:belongs-to,join:agent_id=id"`
	}
	err := s.db.read.NewSelect().Model(&row).Relation("Agent").
		Where("api_token.token_hash = ?", auth.HashToken(plain)).Scan(ctx)
	if isNoRows(err) {
		return guichet.Caller{}, errBadToken
	} else if err != nil {
		return guichet.Caller{}, wrap("authenticate", err)
	}
	tok := row.apiTokenRow
	if tok.RevokedAt != nil || (tok.ExpiresAt != nil && !tok.ExpiresAt.After(now)) || !row.Agent.Active {
		return guichet.Caller{}, errBadToken
	}
	d := tok.domain()
	if d.Scopes == nil {
		d.Scopes = []guichet.Scope{}
	}
	caller := guichet.Caller{Agent: row.Agent.domain(), TokenID: tok.ID, Scopes: d.Scopes}
	var expires time.Time
	if tok.ExpiresAt != nil {
		expires = *tok.ExpiresAt
	}
	s.auth.put(key, caller, now, expires)
	return caller, nil
}
