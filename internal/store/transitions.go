package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/procedure"
)

// maxHookDepth bounds the transitions Guichet applies by itself in a chain
// (a tracker closing closes the tickets it tracked, which may track others).
const maxHookDepth = 5

// engineTicket is what the procedure's guards see of a ticket.
func engineTicket(ctx context.Context, tx bun.IDB, row *ticketRow) (procedure.Ticket, error) {
	t := procedure.Ticket{State: row.State, Category: guichet.Category(row.Category), Channel: guichet.Channel(row.Channel),
		Level: row.Level, Set: map[string]bool{
			"contact_id": row.ContactID != nil, "organisation_id": row.OrganisationID != nil,
			"assignee_id": row.AssigneeID != nil, "file_reference": row.FileReference != ""}}
	var events []eventRow
	err := tx.NewSelect().Model(&events).Column("actor_id", "data").
		Where("ticket_id = ? AND kind = ?", row.ID, guichet.EventTransition).Order("id").Scan(ctx)
	if err != nil {
		return t, fmt.Errorf("load transitions: %w", err)
	}
	for _, ev := range events {
		var d struct {
			Transition string `json:"transition"`
			Level      int    `json:"actor_level"`
		}
		_ = json.Unmarshal([]byte(ev.Data), &d)
		t.History = append(t.History, procedure.Step{Transition: d.Transition, AgentID: deref(ev.ActorID), Level: d.Level})
	}
	return t, nil
}

func actorOf(c guichet.Caller) procedure.Actor {
	return procedure.Actor{AgentID: c.Agent.ID, Roles: c.Agent.Roles, System: c.IsSystem()}
}

// Transitions lists what the caller may do next on the ticket.
func (s *Store) Transitions(ctx context.Context, idOrNumber string) (guichet.TransitionOptions, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeTicketsRead); err != nil {
		return guichet.TransitionOptions{}, err
	}
	row, err := findTicket(ctx, s.db.read, idOrNumber)
	if err != nil {
		return guichet.TransitionOptions{}, wrap("list transitions", err)
	}
	def, err := s.definition(ctx, s.db.read, row.ProcedureID)
	if err != nil {
		return guichet.TransitionOptions{}, wrap("list transitions", err)
	}
	t, err := engineTicket(ctx, s.db.read, row)
	if err != nil {
		return guichet.TransitionOptions{}, wrap("list transitions", err)
	}
	out := guichet.TransitionOptions{State: row.State, Version: row.Version,
		Procedure: guichet.ProcedureRef{Code: def.Code, Version: def.Version}, Transitions: []guichet.TransitionOption{}}
	if !c.Allows(guichet.ScopeTicketsWrite) {
		return out, nil
	}
	for _, tr := range def.Available(t, actorOf(c)) {
		out.Transitions = append(out.Transitions, option(tr))
	}
	return out, nil
}

func option(tr procedure.Transition) guichet.TransitionOption {
	o := guichet.TransitionOption{Name: tr.Name, Title: tr.Title, To: tr.To, Fields: []guichet.TransitionField{}}
	required := tr.Required()
	for _, f := range tr.Fields {
		o.Fields = append(o.Fields, guichet.TransitionField{Name: f.Name, Title: f.Title, Type: string(f.Type),
			Required: slices.Contains(required, f.Name)})
	}
	return o
}

// ApplyTransition applies a transition of the ticket's procedure version
// when ifMatch is the ticket's version: of concurrent transitions exactly
// one wins, the others get EPRECONDITION. See procedure.Check for the
// refusals.
func (s *Store) ApplyTransition(ctx context.Context, idOrNumber string, ifMatch int, in guichet.TransitionRequest) (guichet.Ticket, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
		return guichet.Ticket{}, err
	}
	cal, _, _, err := s.settings(ctx)
	if err != nil {
		return guichet.Ticket{}, wrap("apply transition", err)
	}
	var out guichet.Ticket
	err = s.inTx(ctx, func(tx *Tx) error {
		row, err := findTicket(ctx, tx, idOrNumber)
		if err != nil {
			return err
		}
		if err := claimVersion(ctx, tx, row, ifMatch); err != nil {
			return err
		}
		def, err := s.definition(ctx, tx, row.ProcedureID)
		if err != nil {
			return err
		}
		t, err := engineTicket(ctx, tx, row)
		if err != nil {
			return err
		}
		tr, values, err := def.Check(t, actorOf(c), in.Name, in.Fields)
		if err != nil {
			return err
		}
		r := &run{s: s, tx: tx, row: row, def: def, tr: tr, values: values, actor: actorOf(c), cal: cal.Calendar}
		if err := r.apply(ctx, in.Comment, 0); err != nil {
			return err
		}
		// A comment, an escalation reason or a dev ticket's title is public
		// timeline text: searchable. Other transitions add none.
		if addsText(in, tr) {
			if err := indexTicket(ctx, tx, row.ID); err != nil {
				return err
			}
		}
		// Reload: actions and hooks changed columns (due date) in SQL.
		if row, err = findTicket(ctx, tx, row.ID); err != nil {
			return err
		}
		out, err = s.ticketView(ctx, tx, row)
		return err
	})
	return out, wrap("apply transition", err)
}

// addsText reports whether applying tr puts public text on the timeline.
func addsText(in guichet.TransitionRequest, tr procedure.Transition) bool {
	return in.Comment != "" || slices.ContainsFunc(tr.Actions, func(a procedure.Action) bool {
		return a.Kind == procedure.ActionEscalate || a.Kind == procedure.ActionCreateDevTicket
	})
}

// claimVersion bumps the ticket's version when it is ifMatch; the row
// stays locked until the transaction ends, so exactly one of concurrent
// writers wins.
func claimVersion(ctx context.Context, tx *Tx, row *ticketRow, ifMatch int) error {
	if row.Version != ifMatch {
		return stale(row.Version)
	}
	res, err := tx.NewUpdate().Model((*ticketRow)(nil)).Set("version = version + 1").Set("updated_at = ?", tx.Now).
		Where("id = ? AND version = ?", row.ID, ifMatch).Exec(ctx)
	if err != nil {
		return fmt.Errorf("claim ticket: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return stale(ifMatch + 1)
	}
	row.Version, row.UpdatedAt = ifMatch+1, tx.Now
	return nil
}

// applySystem applies a transition Guichet triggers itself (a client's
// answer, a tracking ticket done) as the system actor.
func (s *Store) applySystem(ctx context.Context, tx *Tx, row *ticketRow, name, why string, cal calendar.Calendar) error {
	return s.applySystemDepth(ctx, tx, row, name, why, cal, 0)
}

func (s *Store) applySystemDepth(ctx context.Context, tx *Tx, row *ticketRow, name, why string, cal calendar.Calendar, depth int) error {
	if depth > maxHookDepth {
		return nil
	}
	def, err := s.definition(ctx, tx, row.ProcedureID)
	if err != nil {
		return err
	}
	sys := guichet.WithCaller(ctx, guichet.Caller{RequestID: guichet.CallerFrom(ctx).RequestID})
	t, err := engineTicket(ctx, tx, row)
	if err != nil {
		return err
	}
	tr, values, err := def.Check(t, procedure.Actor{System: true}, name, nil)
	if err != nil {
		return fmt.Errorf("automatic transition %s on %s: %w", name, row.Number, err)
	}
	row.Version++
	r := &run{s: s, tx: tx, row: row, def: def, tr: tr, values: values, actor: procedure.Actor{System: true}, cal: cal}
	return r.apply(sys, why, depth)
}

// run is one transition being applied.
type run struct {
	s      *Store
	tx     *Tx
	row    *ticketRow
	def    *procedure.Definition
	tr     procedure.Transition
	values procedure.Values
	actor  procedure.Actor
	cal    calendar.Calendar
}

func (r *run) apply(ctx context.Context, comment string, depth int) error {
	from, _ := r.def.State(r.row.State)
	to := from
	if r.tr.To != "" {
		to, _ = r.def.State(r.tr.To)
	}
	if to.Final && r.row.AwaitingRegisteredReply {
		return guichet.Invalid("registered_reply", "the client's registered letter is not answered until a registered reply with its tracking number is recorded")
	}
	if _, err := addEvent(ctx, r.tx, r.row.ID, guichet.EventTransition, false, comment, map[string]any{
		"transition": r.tr.Name, "title": r.tr.Title, "from": from.Name, "to": to.Name,
		"fields": r.values, "actor_level": levelOf(r.actor)}); err != nil {
		return err
	}
	for _, a := range r.tr.Actions {
		if err := r.action(ctx, a); err != nil {
			return err
		}
	}
	before := *r.row
	if err := r.enter(ctx, from, to); err != nil {
		return err
	}
	if err := auditTransition(ctx, r, before); err != nil {
		return err
	}
	if to.Final && !from.Final {
		return r.s.trackersDone(ctx, r.tx, r.row, r.cal, depth)
	}
	return nil
}

func levelOf(a procedure.Actor) int {
	if a.System {
		return 0
	}
	return guichet.Level(a.Roles)
}

// enter moves the ticket into state to: waits begin or end, a final state
// closes every clock.
func (r *run) enter(ctx context.Context, from, to procedure.State) error {
	r.row.State, r.row.Status, r.row.UpdatedAt = to.Name, string(statusOf(r.def, to.Name)), r.tx.Now
	if to.Final {
		r.row.ClosedAt = &r.tx.Now
		if _, err := closeClocks(ctx, r.tx, r.row.ID, "", false); err != nil {
			return err
		}
	}
	_, err := r.tx.NewUpdate().Model(r.row).Column("state", "status", "level", "assignee_id", "awaiting_registered_reply",
		"version", "updated_at", "closed_at").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("save ticket: %w", err)
	}
	switch {
	case to.WaitsForClient && !from.WaitsForClient:
		w := waitRow{ID: newID(), TicketID: r.row.ID, StartedAt: r.tx.Now}
		if _, err := r.tx.NewInsert().Model(&w).Exec(ctx); err != nil {
			return err
		}
	case from.WaitsForClient && !to.WaitsForClient:
		if _, err := r.tx.NewUpdate().Model((*waitRow)(nil)).Set("ended_at = ?", r.tx.Now).
			Where("ticket_id = ? AND ended_at IS NULL", r.row.ID).Exec(ctx); err != nil {
			return err
		}
	default:
		return refreshDue(ctx, r.tx, r.row.ID)
	}
	return recomputeTicketClocks(ctx, r.tx, r.row.ID, r.cal)
}

func auditTransition(ctx context.Context, r *run, before ticketRow) error {
	proc := guichet.ProcedureRef{Code: r.def.Code, Version: r.def.Version}
	b, a := before.domain(proc), r.row.domain(proc)
	return audit(ctx, r.tx, "transition:"+r.tr.Name, "ticket", r.row.ID, b, a)
}

// trackersDone applies, to every open ticket tracked by this one, the
// transition its state names for "the tracking ticket is done".
func (s *Store) trackersDone(ctx context.Context, tx *Tx, row *ticketRow, cal calendar.Calendar, depth int) error {
	var ids []string
	err := tx.NewSelect().Table("ticket_links").Column("ticket_id").
		Where("other_id = ? AND relation = ?", row.ID, guichet.RelationTrackedBy).Order("ticket_id").Scan(ctx, &ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		linked, err := findTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		def, err := s.definition(ctx, tx, linked.ProcedureID)
		if err != nil {
			return err
		}
		st, _ := def.State(linked.State)
		if st.OnTrackerDone == "" {
			continue
		}
		if err := s.applySystemDepth(ctx, tx, linked, st.OnTrackerDone, "le ticket "+row.Number+" qui suivait le problème est terminé", cal, depth+1); err != nil {
			return err
		}
	}
	return nil
}
