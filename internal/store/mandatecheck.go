package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

// CheckMandate tells whether the intervenant may act on the file of a
// client (the contact, the organisation, or both) for category at the
// instant at: "Toujours s'assurer que l'interlocuteur soit dûment mandaté
// par, ou pour, un client enregistré". A mandate of the contact's
// organisation covers the contact. category "" accepts any scope.
//
// The verdict, best first: authority (huissier, impôts, CAF, sécurité
// sociale act by law: no mandate needed), valid (a mandate in force
// covers the category), out_of_scope (one in force does not), expired
// (ended or revoked), missing (none, or none started yet). It reads
// through db, so that a caller's transaction sees its own writes; it
// never writes. ENOTFOUND for an unknown intervenant, EINVALID naming
// contact_id or organisation_id for an unknown client.
func (s *Store) CheckMandate(ctx context.Context, db bun.IDB, intervenantID, contactID, organisationID string,
	category guichet.Category, at time.Time) (guichet.MandateCheck, error) {
	iv, err := loadIntervenant(ctx, db, intervenantID)
	if err != nil {
		return guichet.MandateCheck{}, err
	}
	if kind := guichet.IntervenantKind(iv.Kind); kind.ActsByLaw() {
		return guichet.MandateCheck{Status: guichet.MandateAuthority,
			Detail: fmt.Sprintf("%q is a %s, an authority acting by law: no mandate is needed, and its requests go to the legal role", iv.Name, kind)}, nil
	}
	orgs, err := clientOrganisations(ctx, db, contactID, organisationID)
	if err != nil {
		return guichet.MandateCheck{}, err
	}
	if contactID == "" && len(orgs) == 0 {
		return guichet.MandateCheck{Status: guichet.MandateMissing,
			Detail: "name the client (contact_id or organisation_id) whose file the intervenant acts on: a mandate is always for a client"}, nil
	}
	var rows []mandateRow
	q := db.NewSelect().Model(&rows).Where("intervenant_id = ?", iv.ID).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		if contactID != "" {
			q = q.WhereOr("contact_id = ?", contactID)
		}
		if len(orgs) > 0 {
			q = q.WhereOr("organisation_id IN (?)", bun.List(orgs))
		}
		return q
	})
	if err := q.Order("id").Scan(ctx); err != nil {
		return guichet.MandateCheck{}, fmt.Errorf("load mandates: %w", err)
	}
	return judgeMandates(iv.Name, rows, category, at), nil
}

// clientOrganisations returns the organisations whose mandates cover the
// client: the one named and the contact's own.
func clientOrganisations(ctx context.Context, db bun.IDB, contactID, organisationID string) ([]string, error) {
	var orgs []string
	if organisationID != "" {
		ok := validID(organisationID)
		if ok {
			var err error
			if ok, err = db.NewSelect().Table("organisations").Where("id = ?", organisationID).Exists(ctx); err != nil {
				return nil, fmt.Errorf("load organisation: %w", err)
			}
		}
		if !ok {
			return nil, guichet.Invalid("organisation_id", "no such organisation")
		}
		orgs = append(orgs, organisationID)
	}
	if contactID == "" {
		return orgs, nil
	}
	var org *string
	err := db.NewSelect().Table("contacts").Column("organisation_id").Where("id = ?", contactID).Scan(ctx, &org)
	if isNoRows(err) || !validID(contactID) {
		return nil, guichet.Invalid("contact_id", "no such contact")
	} else if err != nil {
		return nil, fmt.Errorf("load contact: %w", err)
	}
	if org != nil && *org != organisationID {
		orgs = append(orgs, *org)
	}
	return orgs, nil
}

// judgeMandates returns the best verdict the client's mandates give.
func judgeMandates(name string, rows []mandateRow, category guichet.Category, at time.Time) guichet.MandateCheck {
	day := parisDay(at)
	var outOfScope, ended, notYet *guichet.Mandate
	for i := range rows {
		m := rows[i].domain(at)
		switch m.StandingAt(at, day) {
		case guichet.StandingValid:
			if m.Covers(category) {
				return guichet.MandateCheck{Status: guichet.MandateValid, MandateID: m.ID,
					Detail: fmt.Sprintf("mandate of %s covers %s", dateText(m.ValidFrom), scopeText(category))}
			}
			outOfScope = &m
		case guichet.StandingExpired, guichet.StandingRevoked:
			// Prefer reporting an ended mandate that covered the category.
			if ended == nil || m.Covers(category) {
				ended = &m
			}
		case guichet.StandingNotYetValid:
			notYet = &m
		}
	}
	switch {
	case outOfScope != nil:
		return guichet.MandateCheck{Status: guichet.MandateOutOfScope, MandateID: outOfScope.ID,
			Detail: fmt.Sprintf("the mandate of %q (from %s) does not cover %s: it covers %s",
				name, dateText(outOfScope.ValidFrom), category, categoriesText(outOfScope.Scope))}
	case ended != nil:
		return guichet.MandateCheck{Status: guichet.MandateExpired, MandateID: ended.ID, Detail: endedText(name, ended, at)}
	case notYet != nil:
		return guichet.MandateCheck{Status: guichet.MandateMissing,
			Detail: fmt.Sprintf("the mandate of %q only starts on %s", name, dateText(notYet.ValidFrom))}
	}
	return guichet.MandateCheck{Status: guichet.MandateMissing,
		Detail: fmt.Sprintf("%q holds no mandate of this client: it must be « dûment mandaté par, ou pour, un client enregistré »", name)}
}

func endedText(name string, m *guichet.Mandate, at time.Time) string {
	if m.RevokedAt != nil && !at.Before(*m.RevokedAt) {
		return fmt.Sprintf("the mandate of %q was revoked on %s", name, m.RevokedAt.In(paris).Format(time.DateOnly))
	}
	return fmt.Sprintf("the mandate of %q expired on %s", name, dateText(*m.ValidUntil))
}

func scopeText(c guichet.Category) string {
	if c == "" {
		return "the client's file"
	}
	return string(c)
}

func categoriesText(cs []guichet.Category) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}
