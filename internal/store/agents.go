package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type agentRow struct {
	bun.BaseModel `bun:"table:agents"`

	ID           string    `bun:"id,pk"`
	Username     string    `bun:"username"`
	DisplayName  string    `bun:"display_name"`
	Email        string    `bun:"email"`
	Roles        string    `bun:"roles"`
	SupervisorID *string   `bun:"supervisor_id"`
	Active       bool      `bun:"active"`
	PasswordHash string    `bun:"password_hash"`
	Version      int       `bun:"version"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

// rolesText stores roles as a JSON array so that a role filter is a LIKE
// on '"role"' on both databases.
func rolesText(roles []guichet.Role) string {
	b, _ := json.Marshal(roles)
	return string(b)
}

func (r *agentRow) domain() guichet.Agent {
	var roles []guichet.Role
	_ = json.Unmarshal([]byte(r.Roles), &roles)
	return guichet.Agent{
		ID: r.ID, Username: r.Username, DisplayName: r.DisplayName, Email: r.Email,
		Roles: roles, SupervisorID: deref(r.SupervisorID), Active: r.Active,
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// agentAudit is what the audit trail keeps of an agent: no password hash.
type agentAudit struct {
	Username     string         `json:"username"`
	DisplayName  string         `json:"display_name"`
	Email        string         `json:"email,omitempty"`
	Roles        []guichet.Role `json:"roles"`
	SupervisorID string         `json:"supervisor_id,omitempty"`
	Active       bool           `json:"active"`
}

func auditAgent(a guichet.Agent) agentAudit {
	return agentAudit{a.Username, a.DisplayName, a.Email, a.Roles, a.SupervisorID, a.Active}
}

// CreateAgent creates an agent; admins only.
func (s *Store) CreateAgent(ctx context.Context, in guichet.AgentCreate) (guichet.Agent, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeAgentsWrite, guichet.RoleAdmin); err != nil {
		return guichet.Agent{}, err
	}
	if err := validateRoles(in.Roles); err != nil {
		return guichet.Agent{}, err
	}
	hash, err := s.opts.Hasher.Hash(ctx, in.Password)
	if err != nil {
		return guichet.Agent{}, fmt.Errorf("hash password: %w", err)
	}
	row := agentRow{
		ID: newID(), Username: strings.ToLower(in.Username), DisplayName: in.DisplayName,
		Email: strings.ToLower(in.Email), Roles: rolesText(in.Roles),
		SupervisorID: nullable(in.SupervisorID), Active: true, PasswordHash: hash, Version: 1,
	}
	err = s.inTx(ctx, func(tx *Tx) error {
		row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
		if row.SupervisorID != nil {
			if err := checkAgentExists(ctx, tx, *row.SupervisorID, "supervisor_id"); err != nil {
				return err
			}
		}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return guichet.Errorf(guichet.ECONFLICT, "the username %q is taken", row.Username)
			}
			return fmt.Errorf("insert agent: %w", err)
		}
		return audit(ctx, tx, "create", "agent", row.ID, nil, auditAgent(row.domain()))
	})
	return row.domain(), wrap("create agent", err)
}

func validateRoles(roles []guichet.Role) error {
	if len(roles) == 0 {
		return guichet.Invalid("roles", "at least one role is required")
	}
	for _, r := range roles {
		if !r.Valid() {
			return guichet.Invalid("roles", fmt.Sprintf("unknown role %q", r))
		}
	}
	return nil
}

func checkAgentExists(ctx context.Context, db bun.IDB, id, field string) error {
	if !validID(id) {
		return guichet.Invalid(field, "no such agent")
	}
	n, err := db.NewSelect().Table("agents").Where("id = ?", id).Count(ctx)
	if err != nil {
		return fmt.Errorf("check agent: %w", err)
	}
	if n == 0 {
		return guichet.Invalid(field, "no such agent")
	}
	return nil
}

// GetAgent returns one agent; every authenticated agent may read agents.
func (s *Store) GetAgent(ctx context.Context, id string) (guichet.Agent, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeAgentsRead); err != nil {
		return guichet.Agent{}, err
	}
	row, err := loadAgent(ctx, s.db.read, id)
	if err != nil {
		return guichet.Agent{}, err
	}
	return row.domain(), nil
}

func loadAgent(ctx context.Context, db bun.IDB, id string) (agentRow, error) {
	return loadByID[agentRow](ctx, db, id, "agent")
}

// ListAgents returns agents by username.
func (s *Store) ListAgents(ctx context.Context, f guichet.AgentFilter) (guichet.Page[guichet.Agent], error) {
	var page guichet.Page[guichet.Agent]
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeAgentsRead); err != nil {
		return page, err
	}
	q := s.db.read.NewSelect().Model((*agentRow)(nil))
	if f.Role != "" {
		q = q.Where("roles LIKE ?", `%"`+string(f.Role)+`"%`)
	}
	if f.Active != nil {
		q = q.Where("active = ?", *f.Active)
	}
	var cur cursor
	if err := decodeCursor(f.Page.Cursor, "agents", &cur); err != nil {
		return page, err
	}
	if cur.ID != "" {
		q = q.Where("username > ?", cur.Key)
	}
	var rows []agentRow
	n := f.Page.Size()
	if err := q.Order("username").Limit(n+1).Scan(ctx, &rows); err != nil {
		return page, wrap("list agents", err)
	}
	for i := range rows {
		if i == n {
			page.NextCursor = encodeCursor("agents", rows[n-1].Username, rows[n-1].ID)
			break
		}
		page.Items = append(page.Items, rows[i].domain())
	}
	return page, nil
}

// UpdateAgent changes an agent; admins only. A new password revokes the
// agent's sessions.
func (s *Store) UpdateAgent(ctx context.Context, id string, ifMatch int, in guichet.AgentUpdate) (guichet.Agent, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeAgentsWrite, guichet.RoleAdmin); err != nil {
		return guichet.Agent{}, err
	}
	if in.Roles != nil {
		if err := validateRoles(in.Roles); err != nil {
			return guichet.Agent{}, err
		}
	}
	var hash string
	if in.Password != nil {
		var err error
		if hash, err = s.opts.Hasher.Hash(ctx, *in.Password); err != nil {
			return guichet.Agent{}, fmt.Errorf("hash password: %w", err)
		}
	}
	var out guichet.Agent
	err := s.inTx(ctx, func(tx *Tx) error {
		row, err := loadAgent(ctx, tx, id)
		if err != nil {
			return err
		}
		if row.Version != ifMatch {
			return stale(row.Version)
		}
		before := auditAgent(row.domain())
		if err := s.applyAgentUpdate(ctx, tx, &row, in); err != nil {
			return err
		}
		if hash != "" {
			row.PasswordHash = hash
			if err := revokeAgentSessions(ctx, tx, row.ID); err != nil {
				return err
			}
		}
		row.Version++
		row.UpdatedAt = tx.Now
		if _, err := tx.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update agent: %w", err)
		}
		// Roles and activity travel with cached callers.
		tx.forgetCredentials()
		out = row.domain()
		return audit(ctx, tx, "update", "agent", row.ID, before, auditAgent(out))
	})
	return out, wrap("update agent", err)
}

func (s *Store) applyAgentUpdate(ctx context.Context, tx *Tx, row *agentRow, in guichet.AgentUpdate) error {
	if in.DisplayName != nil {
		row.DisplayName = *in.DisplayName
	}
	if in.Email != nil {
		row.Email = strings.ToLower(*in.Email)
	}
	if in.Roles != nil {
		row.Roles = rolesText(in.Roles)
	}
	if in.Active != nil {
		row.Active = *in.Active
		if !row.Active {
			if err := revokeAgentSessions(ctx, tx, row.ID); err != nil {
				return err
			}
		}
	}
	if in.SupervisorID != nil {
		if *in.SupervisorID == "" {
			row.SupervisorID = nil
			return nil
		}
		if err := checkSupervisor(ctx, tx, row.ID, *in.SupervisorID); err != nil {
			return err
		}
		row.SupervisorID = in.SupervisorID
	}
	return nil
}

// checkSupervisor refuses an unknown supervisor and a reporting line that
// loops back to the agent (escalations would never end).
func checkSupervisor(ctx context.Context, tx *Tx, agentID, supervisorID string) error {
	for id, depth := supervisorID, 0; id != ""; depth++ {
		if id == agentID {
			return guichet.Invalid("supervisor_id", "the reporting line would loop back to this agent")
		}
		if depth > 50 {
			return guichet.Invalid("supervisor_id", "the reporting line is too deep")
		}
		row, err := loadAgent(ctx, tx, id)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			return guichet.Invalid("supervisor_id", "no such agent")
		} else if err != nil {
			return err
		}
		id = deref(row.SupervisorID)
	}
	return nil
}

// ChangePassword changes the caller's own password and revokes its other
// sessions; not through an API token.
func (s *Store) ChangePassword(ctx context.Context, current, next string) error {
	c := guichet.CallerFrom(ctx)
	if c.IsSystem() || c.TokenID != "" {
		return guichet.Errorf(guichet.EFORBIDDEN, "a password can only be changed in a session, not with an API token")
	}
	row, err := loadAgent(ctx, s.db.read, c.Agent.ID)
	if err != nil {
		return err
	}
	ok, err := s.opts.Hasher.Verify(ctx, current, row.PasswordHash)
	if err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		return guichet.Invalid("current_password", "the current password is wrong")
	}
	hash, err := s.opts.Hasher.Hash(ctx, next)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return wrap("change password", s.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.NewUpdate().Model((*agentRow)(nil)).Set("password_hash = ?", hash).
			Set("updated_at = ?", tx.Now).Where("id = ?", row.ID).Exec(ctx); err != nil {
			return fmt.Errorf("update password: %w", err)
		}
		if err := revokeAgentSessions(ctx, tx, row.ID); err != nil {
			return err
		}
		return audit(ctx, tx, "password_change", "agent", row.ID, nil, nil)
	}))
}
