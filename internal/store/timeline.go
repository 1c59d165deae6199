package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
)

type eventRow struct {
	bun.BaseModel `bun:"table:ticket_events,alias:ev"`

	ID        string    `bun:"id,pk"`
	TicketID  string    `bun:"ticket_id"`
	Kind      string    `bun:"kind"`
	Internal  bool      `bun:"internal"`
	ActorID   *string   `bun:"actor_id"`
	Body      string    `bun:"body"`
	Data      string    `bun:"data"`
	CreatedAt time.Time `bun:"created_at"`
}

func (r *eventRow) domain() guichet.TimelineEvent {
	return guichet.TimelineEvent{ID: r.ID, TicketID: r.TicketID, Kind: r.Kind, Internal: r.Internal,
		ActorID: deref(r.ActorID), Body: r.Body, Data: json.RawMessage(r.Data), CreatedAt: r.CreatedAt}
}

// newEvent returns a timeline event by the caller (nil actor for Guichet).
func newEvent(ctx context.Context, tx *Tx, ticketID, kind string, internal bool, body string, data map[string]any) *eventRow {
	b, err := json.Marshal(data)
	if err != nil || data == nil {
		b = []byte("{}")
	}
	return &eventRow{ID: newID(), TicketID: ticketID, Kind: kind, Internal: internal,
		ActorID: nullable(guichet.CallerFrom(ctx).Agent.ID), Body: body, Data: string(b), CreatedAt: tx.Now}
}

func addEvent(ctx context.Context, tx *Tx, ticketID, kind string, internal bool, body string, data map[string]any) (*eventRow, error) {
	ev := newEvent(ctx, tx, ticketID, kind, internal, body, data)
	if _, err := tx.NewInsert().Model(ev).Exec(ctx); err != nil {
		return nil, fmt.Errorf("add %s event: %w", kind, err)
	}
	return ev, nil
}

// Timeline returns a ticket's events oldest first; internal notes are left
// out for API tokens without tickets:internal.
func (s *Store) Timeline(ctx context.Context, idOrNumber string, p guichet.PageRequest) (guichet.Page[guichet.TimelineEvent], error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeTicketsRead); err != nil {
		return guichet.Page[guichet.TimelineEvent]{}, err
	}
	row, err := findTicket(ctx, s.db.read, idOrNumber)
	if err != nil {
		return guichet.Page[guichet.TimelineEvent]{}, wrap("timeline", err)
	}
	q := s.db.read.NewSelect().Model((*eventRow)(nil)).Where("ticket_id = ?", row.ID)
	if !seesInternal(c) {
		q = q.Where("internal = ?", false)
	}
	return idPage(ctx, q, "timeline", p, false, func(r *eventRow) (string, guichet.TimelineEvent) { return r.ID, r.domain() })
}

// seesInternal: sessions see internal notes; API tokens only with the
// tickets:internal scope.
func seesInternal(c guichet.Caller) bool {
	return c.Scopes == nil || slices.Contains(c.Scopes, guichet.ScopeTicketsInternal)
}

// idPage pages a query in id order, oldest or newest first (ids are
// time-ordered UUIDs).
func idPage[R any, T any](ctx context.Context, q *bun.SelectQuery, list string, p guichet.PageRequest, newestFirst bool,
	conv func(*R) (string, T)) (guichet.Page[T], error) {
	var cur cursor
	op, order := ">", "id"
	if newestFirst {
		op, order = "<", "id DESC"
	}
	if p.Cursor != "" {
		if err := decodeCursor(p.Cursor, list, &cur); err != nil {
			return guichet.Page[T]{}, err
		}
		q = q.Where("id "+op+" ?", cur.ID)
	}
	var rows []R
	if err := q.Model(&rows).Order(order).Limit(p.Size() + 1).Scan(ctx); err != nil {
		return guichet.Page[T]{}, wrap("list "+list, err)
	}
	out := guichet.Page[T]{Items: make([]T, 0, len(rows))}
	lastID := ""
	for i := range rows {
		if i == p.Size() {
			out.NextCursor = encodeCursor(list, "", lastID)
			break
		}
		id, item := conv(&rows[i])
		out.Items, lastID = append(out.Items, item), id
	}
	return out, nil
}

// AddNote adds an internal note.
func (s *Store) AddNote(ctx context.Context, idOrNumber, body string) (guichet.TimelineEvent, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.TimelineEvent{}, err
	}
	if strings.TrimSpace(body) == "" {
		return guichet.TimelineEvent{}, guichet.Invalid("body", "must not be empty")
	}
	var out guichet.TimelineEvent
	err := s.inTx(ctx, func(tx *Tx) error {
		row, err := findTicket(ctx, tx, idOrNumber)
		if err != nil {
			return err
		}
		ev, err := addEvent(ctx, tx, row.ID, guichet.EventNote, true, body, nil)
		if err != nil {
			return err
		}
		out = ev.domain()
		return nil
	})
	return out, wrap("add note", err)
}

var replyChannels = []guichet.Channel{guichet.ChannelPhone, guichet.ChannelEmail, guichet.ChannelLetter,
	guichet.ChannelRegisteredLetter, guichet.ChannelVisit}

// AddReply records a reply to the client and closes the response clocks it
// answers: a registered letter's only with a registered reply.
func (s *Store) AddReply(ctx context.Context, idOrNumber string, in guichet.Reply) (guichet.TimelineEvent, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.TimelineEvent{}, err
	}
	sentAt, err := checkReply(&in, s.now())
	if err != nil {
		return guichet.TimelineEvent{}, err
	}
	var out guichet.TimelineEvent
	err = s.inTx(ctx, func(tx *Tx) error {
		row, err := findTicket(ctx, tx, idOrNumber)
		if err != nil {
			return err
		}
		if err := replyFileReference(row, &in); err != nil {
			return err
		}
		if err := replyAttachments(ctx, tx, row.ID, in); err != nil {
			return err
		}
		ev, err := s.recordReply(ctx, tx, row, in, sentAt)
		if err != nil {
			return err
		}
		out = ev.domain()
		return nil
	})
	return out, wrap("add reply", err)
}

func checkReply(in *guichet.Reply, now time.Time) (time.Time, error) {
	if !slices.Contains(replyChannels, in.Channel) {
		return time.Time{}, guichet.Invalid("channel", "a reply goes by phone, email, letter, registered letter or visit")
	}
	if strings.TrimSpace(in.Body) == "" {
		return time.Time{}, guichet.Invalid("body", "must not be empty")
	}
	if in.Channel == guichet.ChannelRegisteredLetter && strings.TrimSpace(in.TrackingNumber) == "" {
		return time.Time{}, guichet.Invalid("tracking_number", "a registered reply needs its tracking number")
	}
	return pastOrNow("sent_at", in.SentAt, now)
}

// replyFileReference: "toujours rappeler les références du dossier". A
// letter must quote the ticket's file reference; anything else Guichet
// sends carries it.
func replyFileReference(row *ticketRow, in *guichet.Reply) error {
	letter := in.Channel == guichet.ChannelLetter || in.Channel == guichet.ChannelRegisteredLetter
	switch {
	case row.FileReference == "":
		return nil
	case letter && strings.TrimSpace(in.FileReference) != row.FileReference:
		return guichet.Invalid("file_reference", fmt.Sprintf("a letter must quote the file reference %q", row.FileReference))
	}
	in.FileReference = row.FileReference
	return nil
}

func (s *Store) recordReply(ctx context.Context, tx *Tx, row *ticketRow, in guichet.Reply, sentAt time.Time) (*eventRow, error) {
	registered := in.Channel == guichet.ChannelRegisteredLetter
	ev, err := addEvent(ctx, tx, row.ID, guichet.EventReply, false, in.Body, map[string]any{
		"channel": in.Channel, "sent_at": sentAt, "tracking_number": in.TrackingNumber, "registered": registered,
		"file_reference": in.FileReference, "documentation_links": nonNil(in.DocumentationLinks),
		"attachment_ids": nonNil(in.AttachmentIDs)})
	if err != nil {
		return nil, err
	}
	if err := indexTicket(ctx, tx, row.ID); err != nil {
		return nil, err
	}
	if _, err := closeClocks(ctx, tx, row.ID, clockResponse, !registered); err != nil {
		return nil, err
	}
	if registered {
		row.AwaitingRegisteredReply = false
	}
	return ev, touchTicket(ctx, tx, row)
}

// touchTicket saves the awaiting flag, bumps the version and refreshes the
// due date.
func touchTicket(ctx context.Context, tx *Tx, row *ticketRow) error {
	row.Version++
	row.UpdatedAt = tx.Now
	_, err := tx.NewUpdate().Model(row).Column("awaiting_registered_reply", "version", "updated_at").WherePK().Exec(ctx)
	if err != nil {
		return err
	}
	return refreshDue(ctx, tx, row.ID)
}

// AddClientMessage records what the client sent or said: a response clock
// starts when it needs an answer, and a ticket waiting for the client
// moves on as its procedure says.
func (s *Store) AddClientMessage(ctx context.Context, idOrNumber string, in guichet.ClientMessage) (guichet.TimelineEvent, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.TimelineEvent{}, err
	}
	if !in.Channel.Valid() {
		return guichet.TimelineEvent{}, guichet.Invalid("channel", "unknown channel")
	}
	if strings.TrimSpace(in.Body) == "" {
		return guichet.TimelineEvent{}, guichet.Invalid("body", "must not be empty")
	}
	received, err := pastOrNow("received_at", in.ReceivedAt, s.now())
	if err != nil {
		return guichet.TimelineEvent{}, err
	}
	cal, pols, _, err := s.settings(ctx)
	if err != nil {
		return guichet.TimelineEvent{}, wrap("add client message", err)
	}
	needs := guichet.NeedsAnswerByDefault(in.Channel)
	if in.NeedsAnswer != nil {
		needs = *in.NeedsAnswer
	}
	var out guichet.TimelineEvent
	err = s.inTx(ctx, func(tx *Tx) error {
		row, err := findTicket(ctx, tx, idOrNumber)
		if err != nil {
			return err
		}
		if row.Status == string(guichet.StatusClosed) {
			return guichet.Errorf(guichet.ECONFLICT, "ticket %s is closed: open a new ticket for a new subject", row.Number)
		}
		ev, err := addEvent(ctx, tx, row.ID, guichet.EventClientMessage, false, in.Body, map[string]any{
			"channel": in.Channel, "received_at": received, "needs_answer": needs, "tracking_number": in.TrackingNumber})
		if err != nil {
			return err
		}
		if err := indexTicket(ctx, tx, row.ID); err != nil {
			return err
		}
		out = ev.domain()
		return s.afterClientMessage(ctx, tx, row, in.Channel, received, needs, cal.Calendar, pols)
	})
	return out, wrap("add client message", err)
}

func (s *Store) afterClientMessage(ctx context.Context, tx *Tx, row *ticketRow, ch guichet.Channel, received time.Time,
	needs bool, cal calendar.Calendar, pols ResponsePolicies) error {
	def, err := s.definition(ctx, tx, row.ProcedureID)
	if err != nil {
		return err
	}
	registered := ch == guichet.ChannelRegisteredLetter
	if registered {
		row.AwaitingRegisteredReply = true
	}
	if err := touchTicket(ctx, tx, row); err != nil {
		return err
	}
	if pol, ok := pols.For(def.Code, ch); ok && needs {
		waits, err := loadWaits(ctx, tx, row.ID)
		if err != nil {
			return err
		}
		clock, err := newClock(tx, row.ID, clockResponse, ch, received, pol, cal, waits)
		if err != nil {
			return err
		}
		clock.Registered = registered
		if _, err := tx.NewInsert().Model(clock).Exec(ctx); err != nil {
			return err
		}
	}
	if st, _ := def.State(row.State); st.OnClientMessage != "" {
		return s.applySystem(ctx, tx, row, st.OnClientMessage, "le client a répondu", cal)
	}
	return refreshDue(ctx, tx, row.ID)
}
