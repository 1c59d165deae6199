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

type intervenantRow struct {
	bun.BaseModel `bun:"table:intervenants,alias:intervenant"`

	ID                 string     `bun:"id,pk"`
	Name               string     `bun:"name"`
	Structure          string     `bun:"structure"`
	SortName           string     `bun:"sort_name"`
	Kind               string     `bun:"kind"`
	Category           string     `bun:"category"`
	PreferredChannel   string     `bun:"preferred_channel"`
	Email              string     `bun:"email"`
	Phone              string     `bun:"phone"`
	PhoneE164          string     `bun:"phone_e164"`
	Address            string     `bun:"address"`
	Notes              string     `bun:"notes"`
	AgreementStatus    string     `bun:"agreement_status"`
	AgreementDecidedBy *string    `bun:"agreement_decided_by"`
	AgreementDecidedAt *time.Time `bun:"agreement_decided_at"`
	AgreementReason    string     `bun:"agreement_reason"`
	Version            int        `bun:"version"`
	CreatedAt          time.Time  `bun:"created_at"`
	UpdatedAt          time.Time  `bun:"updated_at"`
}

func (r *intervenantRow) domain() guichet.Intervenant {
	return guichet.Intervenant{ID: r.ID, Name: r.Name, Structure: r.Structure, Kind: guichet.IntervenantKind(r.Kind),
		Category: guichet.IntervenantCategory(r.Category), PreferredChannel: guichet.IntervenantChannel(r.PreferredChannel),
		Email: r.Email, Phone: r.Phone, Address: r.Address, Notes: r.Notes,
		Agreement: guichet.Agreement{Status: guichet.AgreementStatus(r.AgreementStatus), DecidedBy: deref(r.AgreementDecidedBy),
			DecidedAt: r.AgreementDecidedAt, Reason: r.AgreementReason},
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

var _ guichet.IntervenantService = (*Store)(nil)

// intervenantWriters may register and change intervenants: as for
// contacts, everyone who deals with clients.
var intervenantWriters = writerRoles

// normaliseIntervenant checks the kind against the category (defaulting
// the category to the kind's and the channel to the category's) and
// derives the stored forms: lower-case email, E.164 phone, folded sort
// name. It returns the search tokens too.
func (s *Store) normaliseIntervenant(in guichet.Intervenant) (intervenantRow, []string, error) {
	r := intervenantRow{ID: in.ID, Name: strings.TrimSpace(in.Name), Structure: strings.TrimSpace(in.Structure),
		Kind: string(in.Kind), Category: string(in.Category), PreferredChannel: string(in.PreferredChannel),
		Address: in.Address, Notes: in.Notes, AgreementStatus: string(in.Agreement.Status),
		AgreementDecidedBy: nullable(in.Agreement.DecidedBy), AgreementDecidedAt: in.Agreement.DecidedAt,
		AgreementReason: in.Agreement.Reason, Version: in.Version, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt}
	if r.Name == "" {
		return r, nil, guichet.Invalid("name", "must not be empty")
	}
	if !in.Kind.Valid() {
		return r, nil, guichet.Invalid("kind", "unknown kind")
	}
	if in.Category == "" {
		r.Category = string(in.Kind.Categories()[0])
	}
	if cat := guichet.IntervenantCategory(r.Category); !cat.Valid() {
		return r, nil, guichet.Invalid("category", "unknown category")
	} else if !in.Kind.Allows(cat) {
		return r, nil, guichet.Invalid("category", fmt.Sprintf("a %s belongs to %s, not %s", in.Kind, joinCategories(in.Kind.Categories()), cat))
	}
	if r.PreferredChannel == "" {
		r.PreferredChannel = string(guichet.DefaultChannel(guichet.IntervenantCategory(r.Category)))
	} else if !guichet.IntervenantChannel(r.PreferredChannel).Valid() {
		return r, nil, guichet.Invalid("preferred_channel", "unknown channel")
	}
	email, phone, e164, err := s.normaliseReach(in.Email, in.Phone)
	if err != nil {
		return r, nil, err
	}
	r.Email, r.Phone, r.PhoneE164 = email, phone, e164
	r.SortName = textsearch.Fold(r.Name)
	return r, textsearch.ContactTokens(r.Name, r.Structure, email, e164, s.opts.PhoneRegion), nil
}

func joinCategories(cs []guichet.IntervenantCategory) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = string(c)
	}
	return strings.Join(names, " or ")
}

// CreateIntervenant registers an intervenant; a technical one starts with
// its agreement pending.
func (s *Store) CreateIntervenant(ctx context.Context, in guichet.Intervenant) (guichet.Intervenant, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsWrite, intervenantWriters...); err != nil {
		return guichet.Intervenant{}, err
	}
	in.ID, in.Version = newID(), 1
	in.Agreement = guichet.Agreement{}
	row, tokens, err := s.normaliseIntervenant(in)
	if err != nil {
		return guichet.Intervenant{}, err
	}
	row.AgreementStatus = string(guichet.InitialAgreement(guichet.IntervenantCategory(row.Category)))
	err = s.inTx(ctx, func(tx *Tx) error {
		row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
		auditQ, err := auditQuery(ctx, tx, "create", "intervenant", row.ID, nil, row.domain())
		if err != nil {
			return err
		}
		if err := tx.execAll(ctx, tx.NewInsert().Model(&row), tokensQuery(tx, "intervenant", row.ID, tokens), auditQ); err != nil {
			return fmt.Errorf("insert intervenant: %w", err)
		}
		return nil
	})
	return row.domain(), wrap("create intervenant", err)
}

// GetIntervenant returns one intervenant.
func (s *Store) GetIntervenant(ctx context.Context, id string) (guichet.Intervenant, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsRead); err != nil {
		return guichet.Intervenant{}, err
	}
	row, err := loadIntervenant(ctx, s.db.read, id)
	return row.domain(), err
}

func loadIntervenant(ctx context.Context, db bun.IDB, id string) (intervenantRow, error) {
	return loadByID[intervenantRow](ctx, db, id, "intervenant")
}

// ListIntervenants lists or searches intervenants in a stable order.
func (s *Store) ListIntervenants(ctx context.Context, f guichet.IntervenantFilter) (guichet.Page[guichet.Intervenant], error) {
	var page guichet.Page[guichet.Intervenant]
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsRead); err != nil {
		return page, err
	}
	plan, err := s.planSearch(ctx, "intervenant", "intervenant", f.Query)
	if err != nil {
		return page, err
	}
	base := func() *bun.SelectQuery {
		q := s.db.read.NewSelect().Model((*intervenantRow)(nil))
		for col, v := range map[string]string{"category": string(f.Category), "kind": string(f.Kind), "agreement_status": string(f.Agreement)} {
			if v != "" {
				q = q.Where("? = ?", bun.Ident(col), v)
			}
		}
		return q
	}
	rows, next, err := searchPage(ctx, s, plan, base, "intervenants", "intervenants", f.Sort, f.Page,
		func(r *intervenantRow) (string, string) { return r.SortName, r.ID })
	if err != nil {
		return page, err
	}
	page.NextCursor = next
	for i := range rows {
		page.Items = append(page.Items, rows[i].domain())
	}
	return page, nil
}

// UpdateIntervenant changes the fields present in in, if ifMatch is the
// current version. A new kind without a category takes the kind's
// category when the current one does not fit; entering the technical
// category asks for a new agreement, leaving it drops the agreement.
func (s *Store) UpdateIntervenant(ctx context.Context, id string, ifMatch int, in guichet.IntervenantUpdate) (guichet.Intervenant, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsWrite, intervenantWriters...); err != nil {
		return guichet.Intervenant{}, err
	}
	var out guichet.Intervenant
	err := s.inTx(ctx, func(tx *Tx) error {
		old, err := loadIntervenant(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Version != ifMatch {
			return stale(old.Version)
		}
		v := old.domain()
		applyIntervenantUpdate(&v, in)
		v.Version++
		v.UpdatedAt = tx.Now
		row, tokens, err := s.normaliseIntervenant(v)
		if err != nil {
			return err
		}
		if res, err := tx.NewUpdate().Model(&row).WherePK().Where("version = ?", ifMatch).Exec(ctx); err != nil {
			return fmt.Errorf("update intervenant: %w", err)
		} else if n, _ := res.RowsAffected(); n == 0 {
			return stale(ifMatch + 1)
		}
		if err := replaceTokens(ctx, tx, "intervenant", row.ID, tokens); err != nil {
			return err
		}
		out = row.domain()
		return audit(ctx, tx, "update", "intervenant", row.ID, old.domain(), out)
	})
	return out, wrap("update intervenant", err)
}

func applyIntervenantUpdate(v *guichet.Intervenant, in guichet.IntervenantUpdate) {
	for dst, val := range map[*string]*string{&v.Name: in.Name, &v.Structure: in.Structure, &v.Email: in.Email,
		&v.Phone: in.Phone, &v.Address: in.Address, &v.Notes: in.Notes} {
		if val != nil {
			*dst = *val
		}
	}
	if in.PreferredChannel != nil {
		v.PreferredChannel = *in.PreferredChannel
	}
	wasTechnical := v.Category == guichet.CategoryTechnical
	if in.Kind != nil {
		v.Kind = *in.Kind
		if in.Category == nil && v.Kind.Valid() && !v.Kind.Allows(v.Category) {
			v.Category = v.Kind.Categories()[0]
		}
	}
	if in.Category != nil {
		v.Category = *in.Category
	}
	switch technical := v.Category == guichet.CategoryTechnical; {
	case technical && !wasTechnical:
		v.Agreement = guichet.Agreement{Status: guichet.AgreementPending}
	case !technical && wasTechnical:
		v.Agreement = guichet.Agreement{Status: guichet.AgreementNotRequired}
	}
}

// DeleteIntervenant deletes an intervenant nothing refers to: one with
// mandates, disclosures or tickets is kept as evidence (ECONFLICT).
func (s *Store) DeleteIntervenant(ctx context.Context, id string, ifMatch int) error {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeIntervenantsWrite, intervenantWriters...); err != nil {
		return err
	}
	return wrap("delete intervenant", s.inTx(ctx, func(tx *Tx) error {
		old, err := loadIntervenant(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Version != ifMatch {
			return stale(old.Version)
		}
		if err := intervenantInUse(ctx, tx, id); err != nil {
			return err
		}
		if err := replaceTokens(ctx, tx, "intervenant", id, nil); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(&old).WherePK().Exec(ctx); isForeignKeyViolation(err) {
			return guichet.Errorf(guichet.ECONFLICT, "records refer to this intervenant; it is kept")
		} else if err != nil {
			return fmt.Errorf("delete intervenant: %w", err)
		}
		return audit(ctx, tx, "delete", "intervenant", id, old.domain(), nil)
	}))
}

// intervenantInUse answers ECONFLICT when mandates, disclosures or
// tickets refer to the intervenant.
func intervenantInUse(ctx context.Context, tx *Tx, id string) error {
	var used bool
	err := tx.NewRaw(`SELECT EXISTS (SELECT 1 FROM mandates WHERE intervenant_id = ?)
		OR EXISTS (SELECT 1 FROM disclosures WHERE intervenant_id = ?)
		OR EXISTS (SELECT 1 FROM tickets WHERE requested_by_intervenant_id = ?)
		OR EXISTS (SELECT 1 FROM tickets WHERE works_intervenant_id = ?)`, id, id, id, id).Scan(ctx, &used)
	if err != nil {
		return fmt.Errorf("find references: %w", err)
	}
	if used {
		return guichet.Errorf(guichet.ECONFLICT, "mandates, disclosures or tickets refer to this intervenant: it is kept as evidence")
	}
	return nil
}

// DecideAgreement records the direction's approval or rejection of a
// pending technical intervenant: managers only, once.
func (s *Store) DecideAgreement(ctx context.Context, id string, d guichet.AgreementDecision) (guichet.Intervenant, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeIntervenantsWrite, guichet.RoleManager); err != nil {
		return guichet.Intervenant{}, err
	}
	d.Reason = strings.TrimSpace(d.Reason)
	if !d.Approve && d.Reason == "" {
		return guichet.Intervenant{}, guichet.Invalid("reason", "a rejection needs a reason, which a refused works request will quote")
	}
	status, action := guichet.AgreementApproved, "approve"
	if !d.Approve {
		status, action = guichet.AgreementRejected, "reject"
	}
	var out guichet.Intervenant
	err := s.inTx(ctx, func(tx *Tx) error {
		old, err := loadIntervenant(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := decidable(old); err != nil {
			return err
		}
		row := old
		row.AgreementStatus, row.AgreementDecidedBy, row.AgreementDecidedAt = string(status), nullable(c.Agent.ID), &tx.Now
		row.AgreementReason, row.Version, row.UpdatedAt = d.Reason, old.Version+1, tx.Now
		// The status condition makes a concurrent second decision a
		// conflict rather than an overwrite.
		res, err := tx.NewUpdate().Model(&row).Column("agreement_status", "agreement_decided_by", "agreement_decided_at",
			"agreement_reason", "version", "updated_at").WherePK().Where("agreement_status = ?", guichet.AgreementPending).Exec(ctx)
		if err != nil {
			return fmt.Errorf("decide agreement: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return guichet.Errorf(guichet.ECONFLICT, "the agreement has just been decided by someone else")
		}
		out = row.domain()
		return audit(ctx, tx, action, "intervenant", id, old.domain(), out)
	})
	return out, wrap("decide agreement", err)
}

// decidable answers ECONFLICT unless the agreement waits for a decision.
func decidable(r intervenantRow) error {
	switch guichet.AgreementStatus(r.AgreementStatus) {
	case guichet.AgreementPending:
		return nil
	case guichet.AgreementNotRequired:
		return guichet.Errorf(guichet.ECONFLICT, "a %s intervenant needs no agreement", r.Category)
	}
	when := ""
	if r.AgreementDecidedAt != nil {
		when = " on " + r.AgreementDecidedAt.In(paris).Format("02/01/2006 15:04")
	}
	return guichet.Errorf(guichet.ECONFLICT, "the agreement was already %s%s", r.AgreementStatus, when)
}
