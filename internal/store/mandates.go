package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type mandateRow struct {
	bun.BaseModel `bun:"table:mandates,alias:mandate"`

	ID                  string     `bun:"id,pk"`
	IntervenantID       string     `bun:"intervenant_id"`
	ContactID           *string    `bun:"contact_id"`
	OrganisationID      *string    `bun:"organisation_id"`
	Direction           string     `bun:"direction"`
	ValidFrom           string     `bun:"valid_from"`  // YYYY-MM-DD
	ValidUntil          *string    `bun:"valid_until"` // YYYY-MM-DD, nil when open-ended
	Scope               string     `bun:"scope"`       // JSON array of categories
	Notes               string     `bun:"notes"`
	DocumentBlobKey     *string    `bun:"document_blob_key"`
	DocumentFilename    string     `bun:"document_filename"`
	DocumentContentType string     `bun:"document_content_type"`
	DocumentSize        int64      `bun:"document_size"`
	DocumentSHA256      string     `bun:"document_sha256"`
	DocumentUploadedAt  *time.Time `bun:"document_uploaded_at"`
	DocumentUploadedBy  *string    `bun:"document_uploaded_by"`
	RevokedAt           *time.Time `bun:"revoked_at"`
	RevokedBy           *string    `bun:"revoked_by"`
	CreatedBy           *string    `bun:"created_by"`
	Version             int        `bun:"version"`
	CreatedAt           time.Time  `bun:"created_at"`
	UpdatedAt           time.Time  `bun:"updated_at"`
}

// domain returns the mandate with its standing at now.
func (r *mandateRow) domain(now time.Time) guichet.Mandate {
	m := guichet.Mandate{ID: r.ID, IntervenantID: r.IntervenantID, ContactID: deref(r.ContactID),
		OrganisationID: deref(r.OrganisationID), Direction: guichet.MandateDirection(r.Direction), Scope: []guichet.Category{},
		Notes: r.Notes, RevokedAt: r.RevokedAt, RevokedBy: deref(r.RevokedBy), CreatedBy: deref(r.CreatedBy),
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	m.ValidFrom, _ = time.Parse(time.DateOnly, r.ValidFrom)
	if r.ValidUntil != nil {
		until, _ := time.Parse(time.DateOnly, *r.ValidUntil)
		m.ValidUntil = &until
	}
	_ = json.Unmarshal([]byte(r.Scope), &m.Scope)
	if r.DocumentBlobKey != nil && r.DocumentUploadedAt != nil {
		m.Document = &guichet.MandateDocument{Filename: r.DocumentFilename, ContentType: r.DocumentContentType,
			SHA256: r.DocumentSHA256, Size: r.DocumentSize, UploadedAt: *r.DocumentUploadedAt, UploadedBy: deref(r.DocumentUploadedBy)}
	}
	m.Standing = m.StandingAt(now, parisDay(now))
	return m
}

// parisDay is the civil day of t in Europe/Paris, at midnight UTC (the
// form of mandate dates).
func parisDay(t time.Time) time.Time {
	y, m, d := t.In(paris).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dateText(t time.Time) string { return t.Format(time.DateOnly) }

// setPeriodAndScope validates and stores the period (it may not end
// before it starts) and the scope (known categories, at least one).
func (r *mandateRow) setPeriodAndScope(from time.Time, until *time.Time, scope []guichet.Category) error {
	if from.IsZero() {
		return guichet.Invalid("valid_from", "give the first day the mandate covers")
	}
	r.ValidFrom, r.ValidUntil = dateText(from), nil
	if until != nil {
		if until.Before(from) {
			return guichet.Invalid("valid_until", fmt.Sprintf("the mandate would end (%s) before it starts (%s)", dateText(*until), r.ValidFrom))
		}
		t := dateText(*until)
		r.ValidUntil = &t
	}
	if len(scope) == 0 {
		return guichet.Invalid("scope", "list the ticket categories the mandate covers (at least one)")
	}
	clean := make([]guichet.Category, 0, len(scope))
	for _, c := range scope {
		if !c.Valid() {
			return guichet.Invalid("scope", fmt.Sprintf("%q is not a ticket category", c))
		}
		if !slices.Contains(clean, c) {
			clean = append(clean, c)
		}
	}
	b, _ := json.Marshal(clean)
	r.Scope = string(b)
	return nil
}

// CreateMandate records a mandate binding the intervenant to one
// registered client: "dûment mandaté par, ou pour, un client enregistré".
func (s *Store) CreateMandate(ctx context.Context, intervenantID string, in guichet.Mandate) (guichet.Mandate, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeIntervenantsWrite, intervenantWriters...); err != nil {
		return guichet.Mandate{}, err
	}
	row := mandateRow{ID: newID(), ContactID: nullable(in.ContactID), OrganisationID: nullable(in.OrganisationID),
		Direction: string(in.Direction), Notes: in.Notes, CreatedBy: nullable(c.Agent.ID), Version: 1}
	if (row.ContactID == nil) == (row.OrganisationID == nil) {
		return guichet.Mandate{}, guichet.Invalid("contact_id", "name the registered client: a contact_id or an organisation_id (one of them)")
	}
	if !in.Direction.Valid() {
		return guichet.Mandate{}, guichet.Invalid("direction", "by_client or for_client")
	}
	if err := row.setPeriodAndScope(in.ValidFrom, in.ValidUntil, in.Scope); err != nil {
		return guichet.Mandate{}, err
	}
	var out guichet.Mandate
	err := s.inTx(ctx, func(tx *Tx) error {
		iv, err := loadIntervenant(ctx, tx, intervenantID)
		if err != nil {
			return err
		}
		if err := registeredClient(ctx, tx, row.ContactID, row.OrganisationID); err != nil {
			return err
		}
		row.IntervenantID, row.CreatedAt, row.UpdatedAt = iv.ID, tx.Now, tx.Now
		out = row.domain(tx.Now)
		auditQ, err := auditQuery(ctx, tx, "create", "mandate", row.ID, nil, out)
		if err != nil {
			return err
		}
		if err := tx.execAll(ctx, tx.NewInsert().Model(&row), auditQ); err != nil {
			return fmt.Errorf("insert mandate: %w", err)
		}
		return nil
	})
	return out, wrap("create mandate", err)
}

// registeredClient refuses a client that does not exist or is not a
// registered client.
func registeredClient(ctx context.Context, db bun.IDB, contactID, organisationID *string) error {
	field, table, id := "contact_id", "contacts", contactID
	if id == nil {
		field, table, id = "organisation_id", "organisations", organisationID
	}
	var registered bool
	err := db.NewSelect().Table(table).Column("registered_client").Where("id = ?", *id).Scan(ctx, &registered)
	if isNoRows(err) || !validID(*id) {
		return guichet.Invalid(field, "no such "+strings.TrimSuffix(table, "s"))
	} else if err != nil {
		return fmt.Errorf("load client: %w", err)
	}
	if !registered {
		return guichet.Invalid(field, "not a registered client: an intervenant must be « dûment mandaté par, ou pour, un client enregistré »")
	}
	return nil
}

// GetMandate returns one mandate.
func (s *Store) GetMandate(ctx context.Context, id string) (guichet.Mandate, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsRead); err != nil {
		return guichet.Mandate{}, err
	}
	row, err := loadByID[mandateRow](ctx, s.db.read, id, "mandate")
	return row.domain(s.now()), err
}

// ListMandates lists an intervenant's mandates, oldest first.
func (s *Store) ListMandates(ctx context.Context, intervenantID string, f guichet.MandateFilter) (guichet.Page[guichet.Mandate], error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsRead); err != nil {
		return guichet.Page[guichet.Mandate]{}, err
	}
	if _, err := loadIntervenant(ctx, s.db.read, intervenantID); err != nil {
		return guichet.Page[guichet.Mandate]{}, err
	}
	now := s.now()
	q := s.db.read.NewSelect().Where("intervenant_id = ?", intervenantID)
	if f.ContactID != "" {
		q = q.Where("contact_id = ?", f.ContactID)
	}
	if f.OrganisationID != "" {
		q = q.Where("organisation_id = ?", f.OrganisationID)
	}
	if f.Current != nil {
		today := dateText(parisDay(now))
		cond := "(revoked_at IS NULL AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?))"
		if !*f.Current {
			cond = "NOT " + cond
		}
		q = q.Where(cond, today, today)
	}
	return idPage(ctx, q, "mandates", f.Page, false, func(r *mandateRow) (string, guichet.Mandate) { return r.ID, r.domain(now) })
}

// UpdateMandate changes a mandate's period, scope, direction or notes, if
// ifMatch is the current version. Moving its end before today ends it:
// that is audited as a revocation.
func (s *Store) UpdateMandate(ctx context.Context, id string, ifMatch int, in guichet.MandateUpdate) (guichet.Mandate, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsWrite, intervenantWriters...); err != nil {
		return guichet.Mandate{}, err
	}
	var out guichet.Mandate
	err := s.inTx(ctx, func(tx *Tx) error {
		old, err := loadMandateForChange(ctx, tx, id, ifMatch)
		if err != nil {
			return err
		}
		before := old.domain(tx.Now)
		row := old
		m := before
		if in.Direction != nil {
			if !in.Direction.Valid() {
				return guichet.Invalid("direction", "by_client or for_client")
			}
			row.Direction = string(*in.Direction)
		}
		if in.Notes != nil {
			row.Notes = *in.Notes
		}
		if in.ValidFrom != nil {
			m.ValidFrom = *in.ValidFrom
		}
		if in.ClearValidUntil {
			m.ValidUntil = nil
		} else if in.ValidUntil != nil {
			m.ValidUntil = in.ValidUntil
		}
		if in.Scope != nil {
			m.Scope = *in.Scope
		}
		if err := row.setPeriodAndScope(m.ValidFrom, m.ValidUntil, m.Scope); err != nil {
			return err
		}
		row.Version, row.UpdatedAt = old.Version+1, tx.Now
		if err := updateMandateRow(ctx, tx, &row, ifMatch); err != nil {
			return err
		}
		out = row.domain(tx.Now)
		action := "update"
		if before.Standing != guichet.StandingExpired && out.Standing == guichet.StandingExpired {
			action = "revoke"
		}
		return audit(ctx, tx, action, "mandate", id, before, out)
	})
	return out, wrap("update mandate", err)
}

// loadMandateForChange loads a mandate that may change: at version
// ifMatch and not revoked.
func loadMandateForChange(ctx context.Context, tx *Tx, id string, ifMatch int) (mandateRow, error) {
	row, err := loadByID[mandateRow](ctx, tx, id, "mandate")
	if err != nil {
		return row, err
	}
	if row.Version != ifMatch {
		return row, stale(row.Version)
	}
	if row.RevokedAt != nil {
		return row, guichet.Errorf(guichet.ECONFLICT, "the mandate was revoked on %s; record a new one", row.RevokedAt.In(paris).Format("02/01/2006"))
	}
	return row, nil
}

// updateMandateRow writes the row if its version is still ifMatch.
func updateMandateRow(ctx context.Context, tx *Tx, row *mandateRow, ifMatch int) error {
	res, err := tx.NewUpdate().Model(row).WherePK().Where("version = ?", ifMatch).Exec(ctx)
	if err != nil {
		return fmt.Errorf("update mandate: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return stale(ifMatch + 1)
	}
	return nil
}

// RevokeMandate ends a mandate now; it stays, marked revoked, so that
// what was done under it remains explained.
func (s *Store) RevokeMandate(ctx context.Context, id string, ifMatch int) error {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeIntervenantsWrite, intervenantWriters...); err != nil {
		return err
	}
	return wrap("revoke mandate", s.inTx(ctx, func(tx *Tx) error {
		old, err := loadMandateForChange(ctx, tx, id, ifMatch)
		if err != nil {
			return err
		}
		row := old
		row.RevokedAt, row.RevokedBy, row.Version, row.UpdatedAt = &tx.Now, nullable(c.Agent.ID), old.Version+1, tx.Now
		if err := updateMandateRow(ctx, tx, &row, ifMatch); err != nil {
			return err
		}
		return audit(ctx, tx, "revoke", "mandate", id, old.domain(tx.Now), row.domain(tx.Now))
	}))
}
