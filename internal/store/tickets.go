package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/procedure"
)

type ticketRow struct {
	bun.BaseModel `bun:"table:tickets,alias:ticket"`

	ID                      string     `bun:"id,pk"`
	Seq                     int64      `bun:"seq"`
	Number                  string     `bun:"number"`
	Subject                 string     `bun:"subject"`
	Description             string     `bun:"description"`
	Channel                 string     `bun:"channel"`
	Category                string     `bun:"category"`
	Urgency                 string     `bun:"urgency"`
	Level                   int        `bun:"level"`
	Status                  string     `bun:"status"`
	State                   string     `bun:"state"`
	ProcedureID             string     `bun:"procedure_id"`
	AssigneeID              *string    `bun:"assignee_id"`
	ContactID               *string    `bun:"contact_id"`
	OrganisationID          *string    `bun:"organisation_id"`
	FileReference           string     `bun:"file_reference"`
	Tags                    string     `bun:"tags"`
	ExternalLinks           string     `bun:"external_links"`
	DueAt                   *time.Time `bun:"due_at"`
	AwaitingRegisteredReply bool       `bun:"awaiting_registered_reply"`
	ReceivedAt              time.Time  `bun:"received_at"`
	MergedIntoID            *string    `bun:"merged_into_id"`
	CreatedBy               *string    `bun:"created_by"`
	Version                 int        `bun:"version"`
	CreatedAt               time.Time  `bun:"created_at"`
	UpdatedAt               time.Time  `bun:"updated_at"`
	ClosedAt                *time.Time `bun:"closed_at"`
	// Set by checkTicketIntervenants (see ticketintervenants.go).
	RequestedByIntervenantID *string `bun:"requested_by_intervenant_id"`
	WorksIntervenantID       *string `bun:"works_intervenant_id"`
	WorksExternalProject     string  `bun:"works_external_project"`

	// organisationSet: OrganisationID is already the contact's, even nil
	// (the caller read the contact), so defaultOrganisation need not.
	organisationSet bool `bun:"-"`
}

func (r *ticketRow) domain(proc guichet.ProcedureRef) guichet.Ticket {
	t := guichet.Ticket{ID: r.ID, Number: r.Number, Subject: r.Subject, Description: r.Description,
		Channel: guichet.Channel(r.Channel), Category: guichet.Category(r.Category), Urgency: guichet.Urgency(r.Urgency),
		Level: r.Level, Status: guichet.Status(r.Status), State: r.State, Procedure: proc,
		AssigneeID: deref(r.AssigneeID), ContactID: deref(r.ContactID), OrganisationID: deref(r.OrganisationID),
		FileReference: r.FileReference, DueAt: r.DueAt, AwaitingRegisteredReply: r.AwaitingRegisteredReply,
		ReceivedAt: r.ReceivedAt, MergedIntoID: deref(r.MergedIntoID), CreatedBy: deref(r.CreatedBy),
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ClosedAt: r.ClosedAt,
		Tags: []string{}, ExternalLinks: []guichet.Link{}, Links: []guichet.TicketLink{}}
	_ = json.Unmarshal([]byte(r.Tags), &t.Tags)
	_ = json.Unmarshal([]byte(r.ExternalLinks), &t.ExternalLinks)
	t.RequestedByIntervenantID, t.Works = deref(r.RequestedByIntervenantID), r.works()
	return t
}

// procedureState is what a ticket's state means in its procedure.
func statusOf(d *procedure.Definition, state string) guichet.Status {
	st, _ := d.State(state)
	switch {
	case st.Final:
		return guichet.StatusClosed
	case st.WaitsForClient:
		return guichet.StatusWaiting
	}
	return guichet.StatusOpen
}

var paris = mustParis()

func mustParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}

// seqPerYear spaces the years in seq: seq = year*seqPerYear + number.
const seqPerYear = 1_000_000_000

var numberPattern = regexp.MustCompile(`^T-(\d{4})-(\d{6,9})$`)

// ticketWriters may work on tickets: everyone.
var ticketWriters = guichet.Roles

// maxClockSkew tolerates a client clock slightly ahead of ours in
// received_at and sent_at.
const maxClockSkew = time.Minute

// pastOrNow checks a caller-given instant: nil → now; in the future → EINVALID.
func pastOrNow(field string, at *time.Time, now time.Time) (time.Time, error) {
	if at == nil {
		return now, nil
	}
	if at.After(now.Add(maxClockSkew)) {
		return time.Time{}, guichet.Invalid(field, "cannot be in the future")
	}
	if at.After(now) {
		return now, nil
	}
	return at.UTC(), nil
}

// CreateTicket opens a ticket on the published procedure its category maps
// to, with a response clock when the request needs an answer.
func (s *Store) CreateTicket(ctx context.Context, in guichet.TicketCreate) (guichet.Ticket, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.Ticket{}, err
	}
	row, err := newTicketRow(in, s.now())
	if err != nil {
		return guichet.Ticket{}, err
	}
	row.CreatedBy = nullable(c.Agent.ID)
	cal, pols, mapping, err := s.settings(ctx)
	if err == nil {
		err = s.ensureSequences(ctx)
	}
	if err != nil {
		return guichet.Ticket{}, wrap("create ticket", err)
	}
	var out guichet.Ticket
	err = s.inTx(ctx, func(tx *Tx) error {
		out, err = s.openTicket(ctx, tx, row, in, ticketSettings{cal.Calendar, pols, mapping})
		return err
	})
	if errors.Is(err, errMissingReference) {
		err = missingReference(ctx, s.db.read, row)
	}
	return out, wrap("create ticket", err)
}

// ticketSettings are the settings a ticket is opened with, read before
// the transaction.
type ticketSettings struct {
	cal     calendar.Calendar
	pols    ResponsePolicies
	mapping ProcedureMapping
}

// openTicket opens row, made by newTicketRow, on the published procedure
// its category maps to, in tx: the unit of work of CreateTicket, shared
// with the interactions that open tickets.
func (s *Store) openTicket(ctx context.Context, tx *Tx, row *ticketRow, in guichet.TicketCreate, set ticketSettings) (guichet.Ticket, error) {
	procID, def, err := s.procedureFor(ctx, tx, set.mapping.Mapping[in.Category])
	if err != nil {
		return guichet.Ticket{}, err
	}
	row.ProcedureID, row.State = procID, def.Initial
	row.Status = string(statusOf(def, def.Initial))
	if err := s.insertTicket(ctx, tx, row, in, set.cal, set.pols, def); err != nil {
		return guichet.Ticket{}, err
	}
	out := row.domain(guichet.ProcedureRef{Code: def.Code, Version: def.Version})
	if len(in.Related) > 0 {
		out.Links, err = loadLinks(ctx, tx, row.ID)
	}
	return out, err
}

func newTicketRow(in guichet.TicketCreate, now time.Time) (*ticketRow, error) {
	switch {
	case strings.TrimSpace(in.Subject) == "":
		return nil, guichet.Invalid("subject", "must not be empty")
	case !in.Channel.Valid():
		return nil, guichet.Invalid("channel", "unknown channel")
	case !in.Category.Valid():
		return nil, guichet.Invalid("category", "unknown category")
	}
	if in.Urgency == "" {
		in.Urgency = guichet.UrgencyNormal
	} else if !in.Urgency.Valid() {
		return nil, guichet.Invalid("urgency", "unknown urgency")
	}
	received, err := pastOrNow("received_at", in.ReceivedAt, now)
	if err != nil {
		return nil, err
	}
	for _, id := range []struct{ field, v string }{{"assignee_id", in.AssigneeID}, {"contact_id", in.ContactID}, {"organisation_id", in.OrganisationID}} {
		if id.v != "" && !validID(id.v) {
			return nil, guichet.Invalid(id.field, "not a valid id")
		}
	}
	tags, _ := json.Marshal(nonNil(in.Tags))
	links, _ := json.Marshal(nonNil(in.ExternalLinks))
	return &ticketRow{ID: newID(), Subject: strings.TrimSpace(in.Subject), Description: in.Description,
		Channel: string(in.Channel), Category: string(in.Category), Urgency: string(in.Urgency), Level: 1,
		AssigneeID: nullable(in.AssigneeID), ContactID: nullable(in.ContactID), OrganisationID: nullable(in.OrganisationID),
		FileReference: strings.TrimSpace(in.FileReference), Tags: string(tags), ExternalLinks: string(links),
		ReceivedAt: received, Version: 1}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// insertTicket numbers the ticket and writes it with its creation event,
// response clock, links and audit.
func (s *Store) insertTicket(ctx context.Context, tx *Tx, row *ticketRow, in guichet.TicketCreate,
	cal calendar.Calendar, pols ResponsePolicies, def *procedure.Definition) error {
	if err := s.checkTicketIntervenants(ctx, tx, row, in); err != nil {
		return err
	}
	if err := defaultOrganisation(ctx, tx, row); err != nil {
		return err
	}
	row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
	year := tx.Now.In(paris).Year()
	n, err := s.nextTicketNumber(ctx, tx, year)
	if err != nil {
		return err
	}
	row.Seq, row.Number = int64(year)*seqPerYear+n, fmt.Sprintf("T-%d-%06d", year, n)
	ch := guichet.Channel(row.Channel)
	needs := guichet.NeedsAnswerByDefault(ch)
	if in.NeedsAnswer != nil {
		needs = *in.NeedsAnswer
	}
	row.AwaitingRegisteredReply = ch == guichet.ChannelRegisteredLetter
	queries := []*bun.InsertQuery{tx.NewInsert().Model(row)}
	if pol, ok := pols.For(def.Code, ch); ok && needs {
		clock, err := newClock(tx, row.ID, clockResponse, ch, row.ReceivedAt, pol, cal, nil)
		if err != nil {
			return err
		}
		clock.Registered = row.AwaitingRegisteredReply
		row.DueAt = clock.DueAt
		queries = append(queries, tx.NewInsert().Model(clock))
	}
	ev := newEvent(ctx, tx, row.ID, guichet.EventCreated, false, row.Subject, map[string]any{
		"channel": row.Channel, "category": row.Category, "received_at": row.ReceivedAt, "needs_answer": needs,
		"tracking_number": in.TrackingNumber, "procedure": def.Code + " " + def.Version, "state": row.State})
	auditQ, err := auditQuery(ctx, tx, "create", "ticket", row.ID, nil, row.domain(guichet.ProcedureRef{Code: def.Code, Version: def.Version}))
	if err != nil {
		return err
	}
	queries = append(queries, tx.NewInsert().Model(ev), auditQ, ticketTextQuery(tx, row))
	if err := tx.execAll(ctx, queries...); isForeignKeyViolation(err) {
		return errMissingReference
	} else if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	for _, other := range in.Related {
		if err := linkTickets(ctx, tx, row.ID, other, guichet.RelationRelated, "links"); err != nil {
			return err
		}
	}
	return nil
}

// nextTicketNumber takes the next number of the Paris year. On SQLite the
// counter row is updated in the (single-writer) transaction: no number is
// lost. On PostgreSQL a row lock held until commit would serialise every
// create, so each year has a sequence instead: numbers stay unique and
// increasing, and a rolled-back create leaves a gap.
func (s *Store) nextTicketNumber(ctx context.Context, tx *Tx, year int) (int64, error) {
	var n int64
	if s.db.postgres {
		name, err := s.yearSequence(ctx, tx, year)
		if err != nil {
			return 0, err
		}
		if err := tx.NewRaw("SELECT nextval(?)", name).Scan(ctx, &n); err != nil {
			return 0, fmt.Errorf("ticket number: %w", err)
		}
		return n, nil
	}
	err := tx.NewRaw(`INSERT INTO ticket_counters (year, last_seq) VALUES (?, 1)
		ON CONFLICT (year) DO UPDATE SET last_seq = ticket_counters.last_seq + 1 RETURNING last_seq`, year).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("ticket number: %w", err)
	}
	return n, nil
}

// yearSequence returns the year's number sequence, created on first use
// (CreateTicket creates it before its transaction; this is the fallback
// for a year that began in between).
func (s *Store) yearSequence(ctx context.Context, db bun.IDB, year int) (string, error) {
	name := fmt.Sprintf("ticket_numbers_%d", year)
	if _, ok := s.sequences.Load(year); ok {
		return name, nil
	}
	s.sequenceMu.Lock()
	defer s.sequenceMu.Unlock()
	// Another process may create it at the same moment: IF NOT EXISTS then
	// meets a unique violation, which means it exists.
	_, err := db.ExecContext(ctx, "CREATE SEQUENCE IF NOT EXISTS "+name+" AS bigint MINVALUE 1 START 1")
	if err != nil && !isUniqueViolation(err) {
		return "", fmt.Errorf("ticket number sequence: %w", err)
	}
	s.sequences.Store(year, true)
	return name, nil
}

// ensureSequences creates, before a create's transaction, the number
// sequences of the Paris year now and a minute from now (PostgreSQL).
func (s *Store) ensureSequences(ctx context.Context) error {
	if !s.db.postgres {
		return nil
	}
	now := s.now()
	for _, at := range []time.Time{now, now.Add(time.Minute)} {
		if _, err := s.yearSequence(ctx, s.db.write, at.In(paris).Year()); err != nil {
			return err
		}
	}
	return nil
}

// defaultOrganisation gives the ticket its contact's organisation.
func defaultOrganisation(ctx context.Context, tx *Tx, row *ticketRow) error {
	if row.ContactID == nil || row.OrganisationID != nil || row.organisationSet {
		return nil
	}
	var org *string
	err := tx.NewSelect().Table("contacts").Column("organisation_id").Where("id = ?", *row.ContactID).Scan(ctx, &org)
	if errors.Is(err, sql.ErrNoRows) {
		return guichet.Invalid("contact_id", "no such contact")
	} else if err != nil {
		return err
	}
	row.OrganisationID = org
	return nil
}

// errMissingReference is a foreign-key failure: on PostgreSQL it aborts
// the transaction, so the culprit is named after the rollback.
var errMissingReference = errors.New("a referenced record does not exist")

// missingReference names the field whose reference does not exist, after
// a foreign-key failure.
func missingReference(ctx context.Context, db bun.IDB, row *ticketRow) error {
	refs := []struct {
		field, table string
		id           *string
	}{
		{"assignee_id", "agents", row.AssigneeID}, {"contact_id", "contacts", row.ContactID}, {"organisation_id", "organisations", row.OrganisationID}}
	for _, r := range refs {
		if r.id == nil {
			continue
		}
		if ok, err := db.NewSelect().Table(r.table).Where("id = ?", *r.id).Exists(ctx); err != nil {
			return err
		} else if !ok {
			return guichet.Invalid(r.field, "no such "+strings.TrimSuffix(r.table, "s"))
		}
	}
	return guichet.Invalid("ticket", "a referenced record does not exist")
}

// findTicket loads a ticket by id or number.
func findTicket(ctx context.Context, db bun.IDB, idOrNumber string) (*ticketRow, error) {
	row := new(ticketRow)
	q := db.NewSelect().Model(row)
	switch {
	case validID(idOrNumber):
		q = q.Where("id = ?", idOrNumber)
	case numberPattern.MatchString(idOrNumber):
		q = q.Where("number = ?", idOrNumber)
	default:
		return nil, notFound("ticket")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFoundOr(err, "ticket")
	}
	return row, nil
}

// ticketView returns the domain ticket with its procedure and links.
func (s *Store) ticketView(ctx context.Context, db bun.IDB, row *ticketRow) (guichet.Ticket, error) {
	def, err := s.definition(ctx, db, row.ProcedureID)
	if err != nil {
		return guichet.Ticket{}, err
	}
	t := row.domain(guichet.ProcedureRef{Code: def.Code, Version: def.Version})
	t.Links, err = loadLinks(ctx, db, row.ID)
	return t, err
}

// GetTicket returns a ticket with its links, clocks and dev tickets.
func (s *Store) GetTicket(ctx context.Context, idOrNumber string) (guichet.Ticket, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return guichet.Ticket{}, err
	}
	row, err := findTicket(ctx, s.db.read, idOrNumber)
	if err != nil {
		return guichet.Ticket{}, wrap("get ticket", err)
	}
	t, err := s.ticketView(ctx, s.db.read, row)
	if err == nil {
		err = loadTicketDetails(ctx, s.db.read, &t)
	}
	return t, wrap("get ticket", err)
}

func loadTicketDetails(ctx context.Context, db bun.IDB, t *guichet.Ticket) error {
	var clocks []clockRow
	if err := db.NewSelect().Model(&clocks).Where("ticket_id = ?", t.ID).Order("created_at", "id").Scan(ctx); err != nil {
		return err
	}
	t.Clocks = make([]guichet.Clock, len(clocks))
	for i := range clocks {
		t.Clocks[i] = clocks[i].domain()
	}
	var devs []devTicketRow
	if err := db.NewSelect().Model(&devs).Where("ticket_id = ?", t.ID).Order("created_at", "id").Scan(ctx); err != nil {
		return err
	}
	t.DevTickets = make([]guichet.DevTicket, len(devs))
	for i := range devs {
		t.DevTickets[i] = devs[i].domain()
	}
	return nil
}
