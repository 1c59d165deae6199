package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type auditRow struct {
	bun.BaseModel `bun:"table:audit_events"`

	ID         string          `bun:"id,pk"`
	At         time.Time       `bun:"at"`
	ActorID    *string         `bun:"actor_id"`
	APITokenID *string         `bun:"api_token_id"`
	Action     string          `bun:"action"`
	EntityType string          `bun:"entity_type"`
	EntityID   *string         `bun:"entity_id"`
	Before     json.RawMessage `bun:"before,type:text,nullzero"`
	After      json.RawMessage `bun:"after,type:text,nullzero"`
	RequestID  string          `bun:"request_id"`
	// VisibleTo keeps an entry to one agent (a personal mailbox's owner);
	// such entries never show in the general trail.
	VisibleTo *string `bun:"visible_to"`
}

// audit records a write in tx. before and after are the public views of
// the entity (never secrets); nil when absent.
func audit(ctx context.Context, tx *Tx, action, entityType, entityID string, before, after any) error {
	q, err := auditQuery(ctx, tx, action, entityType, entityID, before, after)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// auditQuery is the insert of an audit event, for execAll.
func auditQuery(ctx context.Context, tx *Tx, action, entityType, entityID string, before, after any) (*bun.InsertQuery, error) {
	return auditQueryFor(ctx, tx, "", action, entityType, entityID, before, after)
}

// auditPrivate records a write that only the agent owner may read back
// (a personal mailbox's owner); "" makes it public like audit.
func auditPrivate(ctx context.Context, tx *Tx, owner, action, entityType, entityID string, before, after any) error {
	q, err := auditQueryFor(ctx, tx, owner, action, entityType, entityID, before, after)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func auditQueryFor(ctx context.Context, tx *Tx, owner, action, entityType, entityID string, before, after any) (*bun.InsertQuery, error) {
	c := guichet.CallerFrom(ctx)
	row := &auditRow{
		ID: newID(), At: tx.Now, Action: action, EntityType: entityType,
		ActorID: nullable(c.Agent.ID), APITokenID: nullable(c.TokenID),
		EntityID: nullable(entityID), RequestID: c.RequestID, VisibleTo: nullable(owner),
	}
	var err error
	if row.Before, err = marshalAudit(before); err != nil {
		return nil, err
	}
	if row.After, err = marshalAudit(after); err != nil {
		return nil, err
	}
	return tx.NewInsert().Model(row), nil
}

func marshalAudit(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return b, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ListAuditEvents returns events newest first; managers and admins only.
func (s *Store) ListAuditEvents(ctx context.Context, f guichet.AuditFilter) (guichet.Page[guichet.AuditEvent], error) {
	var page guichet.Page[guichet.AuditEvent]
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeAuditRead, guichet.RoleManager, guichet.RoleAdmin); err != nil {
		return page, err
	}
	q := s.db.read.NewSelect().Model((*auditRow)(nil))
	if f.ActorID != "" {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.EntityType != "" {
		q = q.Where("entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		q = q.Where("entity_id = ?", f.EntityID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until.UTC())
	}
	return s.auditPage(ctx, q.Where("visible_to IS NULL"), f.Page)
}

// auditPage returns one page of q's events, newest first.
func (s *Store) auditPage(ctx context.Context, q *bun.SelectQuery, p guichet.PageRequest) (guichet.Page[guichet.AuditEvent], error) {
	var page guichet.Page[guichet.AuditEvent]
	var cur cursor
	if err := decodeCursor(p.Cursor, "audit", &cur); err != nil {
		return page, err
	}
	if cur.ID != "" {
		at, err := time.Parse(time.RFC3339Nano, cur.Key)
		if err != nil {
			return page, badCursor()
		}
		q = q.Where("(at < ?) OR (at = ? AND id < ?)", at, at, cur.ID)
	}
	var rows []auditRow
	n := p.Size()
	if err := q.OrderExpr("at DESC, id DESC").Limit(n+1).Scan(ctx, &rows); err != nil {
		return page, wrap("list audit events", err)
	}
	for i, r := range rows {
		if i == n {
			last := rows[n-1]
			page.NextCursor = encodeCursor("audit", last.At.UTC().Format(time.RFC3339Nano), last.ID)
			break
		}
		page.Items = append(page.Items, guichet.AuditEvent{
			ID: r.ID, At: r.At, ActorID: deref(r.ActorID), APITokenID: deref(r.APITokenID),
			Action: r.Action, EntityType: r.EntityType, EntityID: deref(r.EntityID),
			Before: r.Before, After: r.After, RequestID: r.RequestID,
		})
	}
	return page, nil
}
