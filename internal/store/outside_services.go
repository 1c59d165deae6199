package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/textsearch"
)

type outsideServiceRow struct {
	bun.BaseModel `bun:"table:outside_services,alias:outside_service"`

	ID        string    `bun:"id,pk"`
	Name      string    `bun:"name"`
	SortName  string    `bun:"sort_name"`
	Domain    string    `bun:"domain"`
	DomainKey string    `bun:"domain_key"`
	Address   string    `bun:"address"`
	Phone     string    `bun:"phone"`
	Email     string    `bun:"email"`
	Website   string    `bun:"website"`
	Hours     string    `bun:"hours"`
	Notes     string    `bun:"notes"`
	Version   int       `bun:"version"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func (r *outsideServiceRow) domain() guichet.OutsideService {
	return guichet.OutsideService{ID: r.ID, Name: r.Name, Domain: r.Domain, Address: r.Address, Phone: r.Phone,
		Email: r.Email, Website: r.Website, Hours: r.Hours, Notes: r.Notes, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// directoryWriters keep the directory up to date ("mettre à disposition
// et tenir à jour la documentation nécessaire à l'accueil"); agents read.
var directoryWriters = []guichet.Role{guichet.RoleSupervisor, guichet.RoleManager, guichet.RoleAdmin}

// outsideServiceEntity is the search_tokens entity type of the directory.
const outsideServiceEntity = "outside_service"

// normaliseOutsideService derives the stored forms (E.164 phone, folded
// sort name and domain) and the search tokens of the name, domain and
// address.
func (s *Store) normaliseOutsideService(o guichet.OutsideService) (outsideServiceRow, []string, error) {
	r := outsideServiceRow{ID: o.ID, Name: strings.TrimSpace(o.Name), Domain: strings.TrimSpace(o.Domain),
		Address: strings.TrimSpace(o.Address), Website: strings.TrimSpace(o.Website), Hours: o.Hours, Notes: o.Notes,
		Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	switch {
	case r.Name == "":
		return r, nil, guichet.Invalid("name", "must not be empty")
	case r.Domain == "":
		return r, nil, guichet.Invalid("domain", "must not be empty")
	}
	if r.Website != "" {
		if u, err := url.Parse(r.Website); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return r, nil, guichet.Invalid("website", "must be an http or https address")
		}
	}
	var err error
	if r.Email, r.Phone, _, err = s.normaliseReach(o.Email, o.Phone); err != nil {
		return r, nil, err
	}
	r.SortName, r.DomainKey = textsearch.Fold(r.Name), textsearch.Fold(r.Domain)
	return r, textsearch.NameTokens(r.Name, r.Domain, r.Address), nil
}

// CreateOutsideService adds an entry to the directory.
func (s *Store) CreateOutsideService(ctx context.Context, in guichet.OutsideService) (guichet.OutsideService, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionWrite, directoryWriters...); err != nil {
		return guichet.OutsideService{}, err
	}
	in.ID, in.Version = newID(), 1
	row, tokens, err := s.normaliseOutsideService(in)
	if err != nil {
		return guichet.OutsideService{}, err
	}
	err = s.inTx(ctx, func(tx *Tx) error {
		row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
		auditQ, err := auditQuery(ctx, tx, "create", outsideServiceEntity, row.ID, nil, row.domain())
		if err != nil {
			return err
		}
		err = tx.execAll(ctx, tx.NewInsert().Model(&row), tokensQuery(tx, outsideServiceEntity, row.ID, tokens), auditQ)
		if err != nil {
			return fmt.Errorf("insert outside service: %w", err)
		}
		return nil
	})
	return row.domain(), wrap("create outside service", err)
}

// GetOutsideService returns one entry of the directory.
func (s *Store) GetOutsideService(ctx context.Context, id string) (guichet.OutsideService, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return guichet.OutsideService{}, err
	}
	row, err := loadByID[outsideServiceRow](ctx, s.db.read, id, "outside service")
	return row.domain(), err
}

// ListOutsideServices lists or searches the directory by name.
func (s *Store) ListOutsideServices(ctx context.Context, f guichet.OutsideServiceFilter) (guichet.Page[guichet.OutsideService], error) {
	var page guichet.Page[guichet.OutsideService]
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return page, err
	}
	plan, err := s.planSearch(ctx, outsideServiceEntity, "outside_service", f.Query)
	if err != nil {
		return page, err
	}
	domain := textsearch.Fold(strings.TrimSpace(f.Domain))
	base := func() *bun.SelectQuery {
		q := s.db.read.NewSelect().Model((*outsideServiceRow)(nil))
		if domain != "" {
			q = q.Where("domain_key = ?", domain)
		}
		return q
	}
	rows, next, err := searchPage(ctx, s, plan, base, "outside_services", "outside_services", guichet.SortByName, f.Page,
		func(r *outsideServiceRow) (string, string) { return r.SortName, r.ID })
	if err != nil {
		return page, err
	}
	page.NextCursor = next
	page.Items = make([]guichet.OutsideService, len(rows))
	for i := range rows {
		page.Items[i] = rows[i].domain()
	}
	return page, nil
}

// UpdateOutsideService changes an entry if ifMatch is its version.
func (s *Store) UpdateOutsideService(ctx context.Context, id string, ifMatch int, in guichet.OutsideServiceUpdate) (guichet.OutsideService, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionWrite, directoryWriters...); err != nil {
		return guichet.OutsideService{}, err
	}
	var out guichet.OutsideService
	err := s.inTx(ctx, func(tx *Tx) error {
		old, err := loadByID[outsideServiceRow](ctx, tx, id, "outside service")
		if err != nil {
			return err
		}
		if old.Version != ifMatch {
			return stale(old.Version)
		}
		o := old.domain()
		for dst, v := range map[*string]*string{&o.Name: in.Name, &o.Domain: in.Domain, &o.Address: in.Address,
			&o.Phone: in.Phone, &o.Email: in.Email, &o.Website: in.Website, &o.Hours: in.Hours, &o.Notes: in.Notes} {
			if v != nil {
				*dst = *v
			}
		}
		o.Version++
		o.UpdatedAt = tx.Now
		row, tokens, err := s.normaliseOutsideService(o)
		if err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update outside service: %w", err)
		}
		if err := replaceTokens(ctx, tx, outsideServiceEntity, row.ID, tokens); err != nil {
			return err
		}
		out = row.domain()
		return audit(ctx, tx, "update", outsideServiceEntity, row.ID, old.domain(), out)
	})
	return out, wrap("update outside service", err)
}

// DeleteOutsideService removes an entry if ifMatch is its version.
func (s *Store) DeleteOutsideService(ctx context.Context, id string, ifMatch int) error {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionWrite, directoryWriters...); err != nil {
		return err
	}
	return wrap("delete outside service", s.inTx(ctx, func(tx *Tx) error {
		old, err := loadByID[outsideServiceRow](ctx, tx, id, "outside service")
		if err != nil {
			return err
		}
		if old.Version != ifMatch {
			return stale(old.Version)
		}
		if err := replaceTokens(ctx, tx, outsideServiceEntity, id, nil); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(&old).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete outside service: %w", err)
		}
		return audit(ctx, tx, "delete", outsideServiceEntity, id, old.domain(), nil)
	}))
}
