package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/textsearch"
)

type organisationRow struct {
	bun.BaseModel `bun:"table:organisations,alias:organisation"`

	ID               string    `bun:"id,pk"`
	Name             string    `bun:"name"`
	SortName         string    `bun:"sort_name"`
	Email            string    `bun:"email"`
	Phone            string    `bun:"phone"`
	Address          string    `bun:"address"`
	Notes            string    `bun:"notes"`
	RegisteredClient bool      `bun:"registered_client"`
	Version          int       `bun:"version"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
}

func (r *organisationRow) domain() guichet.Organisation {
	return guichet.Organisation{ID: r.ID, Name: r.Name, Email: r.Email, Phone: r.Phone, Address: r.Address,
		Notes: r.Notes, RegisteredClient: r.RegisteredClient, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (s *Store) normaliseOrganisation(o guichet.Organisation) (organisationRow, []string, error) {
	r := organisationRow{ID: o.ID, Name: strings.TrimSpace(o.Name), Address: o.Address, Notes: o.Notes,
		RegisteredClient: o.RegisteredClient, Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if r.Name == "" {
		return r, nil, guichet.Invalid("name", "must not be empty")
	}
	email, phone, e164, err := s.normaliseReach(o.Email, o.Phone)
	if err != nil {
		return r, nil, err
	}
	r.Email, r.Phone = email, phone
	r.SortName = textsearch.Fold(r.Name)
	return r, textsearch.ContactTokens(r.Name, "", email, e164, s.opts.PhoneRegion), nil
}

// CreateOrganisation creates an organisation.
func (s *Store) CreateOrganisation(ctx context.Context, in guichet.Organisation) (guichet.Organisation, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsWrite, writerRoles...); err != nil {
		return guichet.Organisation{}, err
	}
	in.ID, in.Version = newID(), 1
	row, tokens, err := s.normaliseOrganisation(in)
	if err != nil {
		return guichet.Organisation{}, err
	}
	err = s.inTx(ctx, func(tx *Tx) error {
		row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return fmt.Errorf("insert organisation: %w", err)
		}
		if err := insertTokens(ctx, tx, "organisation", row.ID, tokens); err != nil {
			return err
		}
		return audit(ctx, tx, "create", "organisation", row.ID, nil, row.domain())
	})
	return row.domain(), wrap("create organisation", err)
}

// GetOrganisation returns one organisation.
func (s *Store) GetOrganisation(ctx context.Context, id string) (guichet.Organisation, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsRead); err != nil {
		return guichet.Organisation{}, err
	}
	row, err := loadOrganisation(ctx, s.db.read, id)
	return row.domain(), err
}

func loadOrganisation(ctx context.Context, db bun.IDB, id string) (organisationRow, error) {
	return loadByID[organisationRow](ctx, db, id, "organisation")
}

// ListOrganisations lists or searches organisations in a stable order.
func (s *Store) ListOrganisations(ctx context.Context, f guichet.OrganisationFilter) (guichet.Page[guichet.Organisation], error) {
	var page guichet.Page[guichet.Organisation]
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsRead); err != nil {
		return page, err
	}
	plan, err := s.planSearch(ctx, "organisation", "organisation", f.Query)
	if err != nil {
		return page, err
	}
	base := func() *bun.SelectQuery {
		q := s.db.read.NewSelect().Model((*organisationRow)(nil))
		if f.RegisteredClient != nil {
			q = q.Where("registered_client = ?", *f.RegisteredClient)
		}
		return q
	}
	rows, next, err := searchPage(ctx, s, plan, base, "organisations", "organisations", f.Sort, f.Page,
		func(r *organisationRow) (string, string) { return r.SortName, r.ID })
	if err != nil {
		return page, err
	}
	page.NextCursor = next
	for i := range rows {
		page.Items = append(page.Items, rows[i].domain())
	}
	return page, nil
}

// UpdateOrganisation changes the fields present in in, if ifMatch is the
// current version.
func (s *Store) UpdateOrganisation(ctx context.Context, id string, ifMatch int, in guichet.OrganisationUpdate) (guichet.Organisation, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsWrite, writerRoles...); err != nil {
		return guichet.Organisation{}, err
	}
	var out guichet.Organisation
	err := s.inTx(ctx, func(tx *Tx) error {
		old, err := loadOrganisation(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Version != ifMatch {
			return stale(old.Version)
		}
		o := old.domain()
		for dst, v := range map[*string]*string{&o.Name: in.Name, &o.Email: in.Email, &o.Phone: in.Phone, &o.Address: in.Address, &o.Notes: in.Notes} {
			if v != nil {
				*dst = *v
			}
		}
		if in.RegisteredClient != nil {
			o.RegisteredClient = *in.RegisteredClient
		}
		o.Version++
		o.UpdatedAt = tx.Now
		row, tokens, err := s.normaliseOrganisation(o)
		if err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update organisation: %w", err)
		}
		if err := replaceTokens(ctx, tx, "organisation", row.ID, tokens); err != nil {
			return err
		}
		out = row.domain()
		return audit(ctx, tx, "update", "organisation", row.ID, old.domain(), out)
	})
	return out, wrap("update organisation", err)
}

// DeleteOrganisation deletes an organisation that no contact belongs to.
func (s *Store) DeleteOrganisation(ctx context.Context, id string, ifMatch int) error {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsWrite, writerRoles...); err != nil {
		return err
	}
	return wrap("delete organisation", s.inTx(ctx, func(tx *Tx) error {
		old, err := loadOrganisation(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Version != ifMatch {
			return stale(old.Version)
		}
		n, err := tx.NewSelect().Model((*contactRow)(nil)).Where("organisation_id = ?", id).Count(ctx)
		if err != nil {
			return fmt.Errorf("count contacts: %w", err)
		}
		if n > 0 {
			return guichet.Errorf(guichet.ECONFLICT, "%d contact(s) belong to this organisation; move or delete them first", n)
		}
		if err := replaceTokens(ctx, tx, "organisation", id, nil); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(&old).WherePK().Exec(ctx); isForeignKeyViolation(err) {
			return guichet.Errorf(guichet.ECONFLICT, "this organisation appears in tickets, books or mandates: it stays as their history")
		} else if err != nil {
			return fmt.Errorf("delete organisation: %w", err)
		}
		return audit(ctx, tx, "delete", "organisation", id, old.domain(), nil)
	}))
}
