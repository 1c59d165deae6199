package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type absenceRow struct {
	bun.BaseModel `bun:"table:absences"`

	ID        string    `bun:"id,pk"`
	AgentID   string    `bun:"agent_id"`
	StartsAt  time.Time `bun:"starts_at"`
	EndsAt    time.Time `bun:"ends_at"`
	Reason    string    `bun:"reason"`
	CreatedAt time.Time `bun:"created_at"`
}

func (r *absenceRow) domain() guichet.Absence {
	return guichet.Absence{ID: r.ID, AgentID: r.AgentID, StartsAt: r.StartsAt, EndsAt: r.EndsAt, Reason: r.Reason, CreatedAt: r.CreatedAt}
}

// mayManageAbsences allows the agent themself, their supervisor and admins.
func mayManageAbsences(c guichet.Caller, agent agentRow) error {
	if err := c.Require(guichet.ScopeAgentsWrite); err != nil {
		return err
	}
	if c.IsSystem() || c.Agent.ID == agent.ID || c.Agent.ID == deref(agent.SupervisorID) || c.Agent.HasRole(guichet.RoleAdmin) {
		return nil
	}
	return guichet.Errorf(guichet.EFORBIDDEN, "only the agent, their supervisor or an admin may manage their absences")
}

// CreateAbsence declares an absence; overlapping absences are refused.
func (s *Store) CreateAbsence(ctx context.Context, agentID string, in guichet.Absence) (guichet.Absence, error) {
	if !in.EndsAt.After(in.StartsAt) {
		return guichet.Absence{}, guichet.Invalid("ends_at", "must be after starts_at")
	}
	row := absenceRow{ID: newID(), AgentID: agentID, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(), Reason: in.Reason}
	err := s.inTx(ctx, func(tx *Tx) error {
		agent, err := loadAgent(ctx, tx, agentID)
		if err != nil {
			return err
		}
		if err := mayManageAbsences(guichet.CallerFrom(ctx), agent); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*absenceRow)(nil)).Where("agent_id = ?", agentID).
			Where("starts_at < ? AND ends_at > ?", row.EndsAt, row.StartsAt).Count(ctx)
		if err != nil {
			return fmt.Errorf("check overlap: %w", err)
		}
		if n > 0 {
			return guichet.Errorf(guichet.ECONFLICT, "this absence overlaps another one of the same agent")
		}
		row.CreatedAt = tx.Now
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return fmt.Errorf("insert absence: %w", err)
		}
		return audit(ctx, tx, "create", "absence", row.ID, nil, row.domain())
	})
	return row.domain(), wrap("create absence", err)
}

// ListAbsences returns an agent's absences by start; currentOnly keeps
// those covering the present moment.
func (s *Store) ListAbsences(ctx context.Context, agentID string, currentOnly bool) ([]guichet.Absence, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeAgentsRead); err != nil {
		return nil, err
	}
	if _, err := loadAgent(ctx, s.db.read, agentID); err != nil {
		return nil, err
	}
	q := s.db.read.NewSelect().Model((*absenceRow)(nil)).Where("agent_id = ?", agentID)
	if currentOnly {
		now := s.now()
		q = q.Where("starts_at <= ? AND ends_at > ?", now, now)
	}
	var rows []absenceRow
	if err := q.Order("starts_at", "id").Limit(1000).Scan(ctx, &rows); err != nil {
		return nil, wrap("list absences", err)
	}
	out := make([]guichet.Absence, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// DeleteAbsence withdraws an absence.
func (s *Store) DeleteAbsence(ctx context.Context, agentID, absenceID string) error {
	return wrap("delete absence", s.inTx(ctx, func(tx *Tx) error {
		agent, err := loadAgent(ctx, tx, agentID)
		if err != nil {
			return err
		}
		if err := mayManageAbsences(guichet.CallerFrom(ctx), agent); err != nil {
			return err
		}
		var row absenceRow
		if !validID(absenceID) {
			return notFound("absence")
		}
		if err := tx.NewSelect().Model(&row).Where("id = ? AND agent_id = ?", absenceID, agentID).Scan(ctx); err != nil {
			return notFoundOr(err, "absence")
		}
		if _, err := tx.NewDelete().Model(&row).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete absence: %w", err)
		}
		return audit(ctx, tx, "delete", "absence", row.ID, row.domain(), nil)
	}))
}
