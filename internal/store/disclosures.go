package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type disclosureRow struct {
	bun.BaseModel `bun:"table:disclosures,alias:disclosure"`

	ID             string    `bun:"id,pk"`
	IntervenantID  string    `bun:"intervenant_id"`
	ContactID      *string   `bun:"contact_id"`
	OrganisationID *string   `bun:"organisation_id"`
	Category       string    `bun:"category"`
	Summary        string    `bun:"summary"`
	Basis          string    `bun:"basis"`
	MandateID      *string   `bun:"mandate_id"`
	DisclosedBy    *string   `bun:"disclosed_by"`
	DisclosedAt    time.Time `bun:"disclosed_at"`
}

func (r *disclosureRow) domain() guichet.Disclosure {
	return guichet.Disclosure{ID: r.ID, IntervenantID: r.IntervenantID, ContactID: deref(r.ContactID),
		OrganisationID: deref(r.OrganisationID), Category: guichet.Category(r.Category), Summary: r.Summary,
		Basis: r.Basis, MandateID: deref(r.MandateID), DisclosedBy: deref(r.DisclosedBy), DisclosedAt: r.DisclosedAt}
}

// CreateDisclosure records that information from a client's file was
// shared with the intervenant. Refused (EINVALID, nothing written) unless
// a mandate of the client in force covers the category; an authority
// acting by law needs none, but only the legal role records what it was
// given (EFORBIDDEN otherwise).
func (s *Store) CreateDisclosure(ctx context.Context, intervenantID string, in guichet.Disclosure) (guichet.Disclosure, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeIntervenantsWrite, intervenantWriters...); err != nil {
		return guichet.Disclosure{}, err
	}
	row := disclosureRow{ID: newID(), ContactID: nullable(in.ContactID), OrganisationID: nullable(in.OrganisationID),
		Category: string(in.Category), Summary: strings.TrimSpace(in.Summary), DisclosedBy: nullable(c.Agent.ID)}
	switch {
	case row.ContactID == nil && row.OrganisationID == nil:
		return guichet.Disclosure{}, guichet.Invalid("contact_id", "name the client whose file it is (contact_id or organisation_id)")
	case !in.Category.Valid():
		return guichet.Disclosure{}, guichet.Invalid("category", "unknown category")
	case row.Summary == "":
		return guichet.Disclosure{}, guichet.Invalid("summary", "say what was shared")
	}
	var out guichet.Disclosure
	err := s.inTx(ctx, func(tx *Tx) error {
		check, err := s.CheckMandate(ctx, tx, intervenantID, in.ContactID, in.OrganisationID, in.Category, tx.Now)
		if err != nil {
			return err
		}
		switch check.Status {
		case guichet.MandateValid:
			row.Basis, row.MandateID = guichet.DisclosureByMandate, &check.MandateID
		case guichet.MandateAuthority:
			if !c.IsSystem() && !c.Agent.HasRole(guichet.RoleLegal) {
				return guichet.Errorf(guichet.EFORBIDDEN, "%s; only the legal role (service juridique) shares a file with it", check.Detail)
			}
			row.Basis = guichet.DisclosureByAuthority
		default:
			return guichet.Invalid("mandate", check.Detail)
		}
		row.IntervenantID, row.DisclosedAt = intervenantID, tx.Now
		out = row.domain()
		auditQ, err := auditQuery(ctx, tx, "create", "disclosure", row.ID, nil, out)
		if err != nil {
			return err
		}
		if err := tx.execAll(ctx, tx.NewInsert().Model(&row), auditQ); err != nil {
			return fmt.Errorf("insert disclosure: %w", err)
		}
		return nil
	})
	return out, wrap("create disclosure", err)
}

// ListDisclosures lists what was shared with the intervenant, newest
// first.
func (s *Store) ListDisclosures(ctx context.Context, intervenantID string, p guichet.PageRequest) (guichet.Page[guichet.Disclosure], error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsRead); err != nil {
		return guichet.Page[guichet.Disclosure]{}, err
	}
	if _, err := loadIntervenant(ctx, s.db.read, intervenantID); err != nil {
		return guichet.Page[guichet.Disclosure]{}, err
	}
	q := s.db.read.NewSelect().Where("intervenant_id = ?", intervenantID)
	return idPage(ctx, q, "disclosures", p, true, func(r *disclosureRow) (string, guichet.Disclosure) { return r.ID, r.domain() })
}

// MandateCheckFor is CheckMandate for the API: read-only, at the given
// moment or now.
func (s *Store) MandateCheckFor(ctx context.Context, intervenantID, contactID, organisationID string,
	category guichet.Category, at *time.Time) (guichet.MandateCheck, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsRead); err != nil {
		return guichet.MandateCheck{}, err
	}
	when := s.now()
	if at != nil {
		when = at.UTC()
	}
	check, err := s.CheckMandate(ctx, s.db.read, intervenantID, contactID, organisationID, category, when)
	return check, wrap("check mandate", err)
}
