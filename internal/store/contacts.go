package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/textsearch"
)

type contactRow struct {
	bun.BaseModel `bun:"table:contacts,alias:contact"`

	ID               string    `bun:"id,pk"`
	FirstName        string    `bun:"first_name"`
	LastName         string    `bun:"last_name"`
	Email            string    `bun:"email"`
	Phone            string    `bun:"phone"`
	PhoneE164        string    `bun:"phone_e164"`
	JobTitle         string    `bun:"job_title"`
	Notes            string    `bun:"notes"`
	OrganisationID   *string   `bun:"organisation_id"`
	Individual       bool      `bun:"individual"`
	RegisteredClient bool      `bun:"registered_client"`
	Unidentified     bool      `bun:"unidentified"`
	SortName         string    `bun:"sort_name"`
	Version          int       `bun:"version"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
	// EmailBouncedAt: mail to this address came back (a delivery status
	// notification); cleared when the address changes.
	EmailBouncedAt *time.Time `bun:"email_bounced_at"`
}

func (r *contactRow) domain() guichet.Contact {
	return guichet.Contact{
		ID: r.ID, FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone,
		JobTitle: r.JobTitle, Notes: r.Notes, OrganisationID: deref(r.OrganisationID),
		Individual: r.Individual, RegisteredClient: r.RegisteredClient,
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, EmailBouncedAt: r.EmailBouncedAt,
	}
}

// normalise derives the stored forms (lower-case email, E.164 phone, the
// folded sort name, the unidentified flag) from the fields.
func (s *Store) normaliseContact(c guichet.Contact) (contactRow, error) {
	r := contactRow{
		ID: c.ID, FirstName: strings.TrimSpace(c.FirstName), LastName: strings.TrimSpace(c.LastName),
		JobTitle: c.JobTitle, Notes: c.Notes, OrganisationID: nullable(c.OrganisationID),
		Individual: c.Individual, RegisteredClient: c.RegisteredClient, Version: c.Version,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, EmailBouncedAt: c.EmailBouncedAt,
	}
	var err error
	if r.Email, r.Phone, r.PhoneE164, err = s.normaliseReach(c.Email, c.Phone); err != nil {
		return r, err
	}
	if r.OrganisationID != nil && !validID(*r.OrganisationID) {
		return r, guichet.Invalid("organisation_id", "no such organisation")
	}
	d := r.domain()
	r.Unidentified = d.Unidentified()
	if d.LastName == "" && d.FirstName == "" && d.Email == "" && d.Phone == "" {
		return r, guichet.Invalid("last_name", "a contact needs at least a name, an email or a phone number")
	}
	r.SortName = textsearch.Fold(strings.TrimSpace(r.LastName + " " + r.FirstName))
	if r.SortName == "" {
		r.SortName = textsearch.Fold(d.DisplayName())
	}
	return r, nil
}

// normaliseReach returns the stored email, the shown phone and its E.164
// form ("" when the number cannot be parsed: it is kept as given).
func (s *Store) normaliseReach(email, phone string) (string, string, string, error) {
	if email = strings.TrimSpace(email); email != "" {
		var ok bool
		if email, ok = textsearch.NormalizeEmail(email); !ok {
			return "", "", "", guichet.Invalid("email", "not a valid email address")
		}
	}
	phone = strings.TrimSpace(phone)
	e164 := ""
	if phone != "" {
		if n, ok := textsearch.NormalizePhone(phone, s.opts.PhoneRegion); ok {
			phone, e164 = n, n
		}
	}
	return email, phone, e164, nil
}

func (s *Store) contactTokens(r *contactRow) []string {
	return textsearch.ContactTokens(r.FirstName, r.LastName, r.Email, r.PhoneE164, s.opts.PhoneRegion)
}

// CreateContact creates a contact; see guichet.ContactService.
func (s *Store) CreateContact(ctx context.Context, in guichet.Contact, allowDuplicate bool) (guichet.Contact, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsWrite, writerRoles...); err != nil {
		return guichet.Contact{}, err
	}
	in.ID, in.Version = newID(), 1
	row, err := s.normaliseContact(in)
	if err != nil {
		return guichet.Contact{}, err
	}
	err = s.inTx(ctx, func(tx *Tx) error {
		row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
		if !allowDuplicate {
			if err := s.refuseDuplicates(ctx, tx, &row); err != nil {
				return err
			}
		}
		return s.insertContact(ctx, tx, &row)
	})
	return row.domain(), wrap("create contact", err)
}

// insertContact writes a normalised contact with its search tokens and
// audit, in tx.
func (s *Store) insertContact(ctx context.Context, tx *Tx, row *contactRow) error {
	auditQ, err := auditQuery(ctx, tx, "create", "contact", row.ID, nil, row.domain())
	if err != nil {
		return err
	}
	err = tx.execAll(ctx, tx.NewInsert().Model(row), tokensQuery(tx, "contact", row.ID, s.contactTokens(row)), auditQ)
	if isForeignKeyViolation(err) {
		return guichet.Invalid("organisation_id", "no such organisation")
	} else if err != nil {
		return fmt.Errorf("insert contact: %w", err)
	}
	return nil
}

// writerRoles may change contacts and organisations: everyone who deals
// with clients, not a developer alone.
var writerRoles = []guichet.Role{guichet.RoleAgent, guichet.RoleSupervisor, guichet.RoleManager,
	guichet.RoleAccountant, guichet.RoleLegal, guichet.RoleAdmin}

// refuseDuplicates answers EDUPLICATE listing the contacts with the same
// email, phone, or folded name in the same organisation. On PostgreSQL,
// advisory locks on those keys stop two concurrent creates from both
// passing the check; SQLite has one writer.
func (s *Store) refuseDuplicates(ctx context.Context, tx *Tx, r *contactRow) error {
	// One indexed lookup per key, united: an OR across columns would scan
	// the table, and each term repeats its partial index's condition so
	// that SQLite can use that index.
	var parts []string
	var args, keys []any
	cols := "SELECT id, first_name, last_name, email, phone, phone_e164, organisation_id, sort_name FROM contacts WHERE "
	if r.Email != "" {
		parts = append(parts, cols+"email = ? AND email <> ''")
		args, keys = append(args, r.Email), append(keys, "e:"+r.Email)
	}
	if r.PhoneE164 != "" {
		parts = append(parts, cols+"phone_e164 = ? AND phone_e164 <> ''")
		args, keys = append(args, r.PhoneE164), append(keys, "p:"+r.PhoneE164)
	}
	if r.OrganisationID != nil && r.LastName != "" {
		parts = append(parts, cols+"organisation_id = ? AND sort_name = ? AND last_name <> ''")
		args, keys = append(args, *r.OrganisationID, r.SortName), append(keys, "n:"+*r.OrganisationID+":"+r.SortName)
	}
	if len(keys) == 0 {
		return nil
	}
	if s.db.postgres {
		// One round trip; sorted so that two creates never wait on each
		// other's locks in opposite orders.
		slices.SortFunc(keys, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		calls := make([]string, len(keys))
		for i := range keys {
			calls[i] = "pg_advisory_xact_lock(hashtext(?))"
		}
		if _, err := tx.ExecContext(ctx, "SELECT "+strings.Join(calls, ", "), keys...); err != nil {
			return fmt.Errorf("lock duplicate keys: %w", err)
		}
	}
	var found []contactRow
	if err := tx.NewRaw(strings.Join(parts, " UNION ")+" LIMIT 20", args...).Scan(ctx, &found); err != nil {
		return fmt.Errorf("find duplicates: %w", err)
	}
	if len(found) == 0 {
		return nil
	}
	e := &guichet.Error{Code: guichet.EDUPLICATE,
		Message: fmt.Sprintf("%d existing contact(s) have the same email, phone or name; send allow_duplicate to create it anyway", len(found))}
	for _, f := range found {
		m := guichet.DuplicateMatch{ID: f.ID, Name: (&guichet.Contact{FirstName: f.FirstName, LastName: f.LastName, Email: f.Email, Phone: f.Phone}).DisplayName()}
		if r.Email != "" && f.Email == r.Email {
			m.MatchedOn = append(m.MatchedOn, "email")
		}
		if r.PhoneE164 != "" && f.PhoneE164 == r.PhoneE164 {
			m.MatchedOn = append(m.MatchedOn, "phone")
		}
		if r.OrganisationID != nil && deref(f.OrganisationID) == *r.OrganisationID && f.SortName == r.SortName {
			m.MatchedOn = append(m.MatchedOn, "name")
		}
		e.Duplicates = append(e.Duplicates, m)
	}
	return e
}

// GetContact returns one contact.
func (s *Store) GetContact(ctx context.Context, id string) (guichet.Contact, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsRead); err != nil {
		return guichet.Contact{}, err
	}
	row, err := loadContact(ctx, s.db.read, id)
	return row.domain(), err
}

func loadContact(ctx context.Context, db bun.IDB, id string) (contactRow, error) {
	return loadByID[contactRow](ctx, db, id, "contact")
}

// ListContacts lists or searches contacts in a stable order.
func (s *Store) ListContacts(ctx context.Context, f guichet.ContactFilter) (guichet.Page[guichet.Contact], error) {
	var page guichet.Page[guichet.Contact]
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsRead); err != nil {
		return page, err
	}
	plan, err := s.planSearch(ctx, "contact", "contact", f.Query)
	if err != nil {
		return page, err
	}
	if f.OrganisationID != "" && !validID(f.OrganisationID) {
		return page, nil
	}
	base := func() *bun.SelectQuery {
		q := s.db.read.NewSelect().Model((*contactRow)(nil))
		if f.OrganisationID != "" {
			q = q.Where("organisation_id = ?", f.OrganisationID)
		}
		if f.RegisteredClient != nil {
			q = q.Where("registered_client = ?", *f.RegisteredClient)
		}
		if f.Unidentified != nil {
			q = q.Where("unidentified = ?", *f.Unidentified)
		}
		return q
	}
	rows, next, err := searchPage(ctx, s, plan, base, "contacts", "contacts", f.Sort, f.Page,
		func(r *contactRow) (string, string) { return r.SortName, r.ID })
	if err != nil {
		return page, err
	}
	page.NextCursor = next
	for i := range rows {
		page.Items = append(page.Items, rows[i].domain())
	}
	return page, nil
}

// UpdateContact changes the fields present in in, if ifMatch is the
// current version.
func (s *Store) UpdateContact(ctx context.Context, id string, ifMatch int, in guichet.ContactUpdate) (guichet.Contact, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsWrite, writerRoles...); err != nil {
		return guichet.Contact{}, err
	}
	var out guichet.Contact
	err := s.inTx(ctx, func(tx *Tx) error {
		old, err := loadContact(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Version != ifMatch {
			return stale(old.Version)
		}
		c := old.domain()
		applyContactUpdate(&c, in)
		c.Version++
		c.UpdatedAt = tx.Now
		row, err := s.normaliseContact(c)
		if err != nil {
			return err
		}
		if row.Email != old.Email {
			row.EmailBouncedAt = nil // a new address has not bounced
		}
		if _, err := tx.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			if isForeignKeyViolation(err) {
				return guichet.Invalid("organisation_id", "no such organisation")
			}
			return fmt.Errorf("update contact: %w", err)
		}
		if err := replaceTokens(ctx, tx, "contact", row.ID, s.contactTokens(&row)); err != nil {
			return err
		}
		out = row.domain()
		return audit(ctx, tx, "update", "contact", row.ID, old.domain(), out)
	})
	return out, wrap("update contact", err)
}

func applyContactUpdate(c *guichet.Contact, in guichet.ContactUpdate) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.FirstName, in.FirstName)
	set(&c.LastName, in.LastName)
	set(&c.Email, in.Email)
	set(&c.Phone, in.Phone)
	set(&c.JobTitle, in.JobTitle)
	set(&c.Notes, in.Notes)
	set(&c.OrganisationID, in.OrganisationID)
	if in.Individual != nil {
		c.Individual = *in.Individual
	}
	if in.RegisteredClient != nil {
		c.RegisteredClient = *in.RegisteredClient
	}
}

// DeleteContact deletes a contact, if ifMatch is the current version.
func (s *Store) DeleteContact(ctx context.Context, id string, ifMatch int) error {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeContactsWrite, writerRoles...); err != nil {
		return err
	}
	return wrap("delete contact", s.inTx(ctx, func(tx *Tx) error {
		old, err := loadContact(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Version != ifMatch {
			return stale(old.Version)
		}
		if err := replaceTokens(ctx, tx, "contact", id, nil); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(&old).WherePK().Exec(ctx); isForeignKeyViolation(err) {
			return guichet.Errorf(guichet.ECONFLICT, "this contact appears in tickets, books, messages, appointments or mandates: it stays as their history")
		} else if err != nil {
			return fmt.Errorf("delete contact: %w", err)
		}
		return audit(ctx, tx, "delete", "contact", id, old.domain(), nil)
	}))
}
