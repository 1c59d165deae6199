package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

var _ guichet.InteractionService = (*Store)(nil)

type interactionRow struct {
	bun.BaseModel `bun:"table:interactions,alias:ia"`

	ID                   string     `bun:"id,pk"`
	Kind                 string     `bun:"kind"`
	OccurredAt           time.Time  `bun:"occurred_at"`
	AgentID              string     `bun:"agent_id"`
	ContactID            *string    `bun:"contact_id"`
	IntervenantID        *string    `bun:"intervenant_id"`
	IdentityName         string     `bun:"identity_name"`
	IdentityStructure    string     `bun:"identity_structure"`
	IdentityPhone        string     `bun:"identity_phone"`
	IdentityEmail        string     `bun:"identity_email"`
	Reason               string     `bun:"reason"`
	Notes                string     `bun:"notes"`
	Direction            string     `bun:"direction"`
	Outcome              string     `bun:"outcome"`
	TransferredTo        *string    `bun:"transferred_to"`
	OrientedTo           string     `bun:"oriented_to"`
	ConsultedBy          *string    `bun:"consulted_by"`
	ConsultedAt          *time.Time `bun:"consulted_at"`
	AppointmentID        *string    `bun:"appointment_id"`
	WalkIn               bool       `bun:"walk_in"`
	LetterStatus         string     `bun:"letter_status"`
	Registered           bool       `bun:"registered"`
	TrackingNumber       string     `bun:"tracking_number"`
	ScanBlobKey          *string    `bun:"scan_blob_key"`
	ScanFilename         string     `bun:"scan_filename"`
	ScanContentType      string     `bun:"scan_content_type"`
	ScanSize             int64      `bun:"scan_size"`
	ScanSHA256           string     `bun:"scan_sha256"`
	ScannedAt            *time.Time `bun:"scanned_at"`
	ScannedBy            *string    `bun:"scanned_by"`
	ProcessedAt          *time.Time `bun:"processed_at"`
	AnsweredAt           *time.Time `bun:"answered_at"`
	ArchivedAt           *time.Time `bun:"archived_at"`
	ActType              string     `bun:"act_type"`
	ServedAt             *time.Time `bun:"served_at"`
	BailiffName          string     `bun:"bailiff_name"`
	BailiffOffice        string     `bun:"bailiff_office"`
	OrganisationID       *string    `bun:"organisation_id"`
	Deadline             *time.Time `bun:"deadline"`
	NeedsConfirmation    bool       `bun:"needs_confirmation"`
	Unconfirmed          bool       `bun:"unconfirmed"`
	ConfirmedAt          *time.Time `bun:"confirmed_at"`
	ConfirmedBy          *string    `bun:"confirmed_by"`
	ConfirmationTicketID *string    `bun:"confirmation_ticket_id"`
	ConfirmationText     string     `bun:"confirmation_text"`
	MandateStatus        *string    `bun:"mandate_status"`
	MandateDetail        string     `bun:"mandate_detail"`
	MandateID            *string    `bun:"mandate_id"`
	MandateFlagged       bool       `bun:"mandate_flagged"`
	Version              int        `bun:"version"`
	CreatedBy            *string    `bun:"created_by"`
	CreatedAt            time.Time  `bun:"created_at"`
	UpdatedAt            time.Time  `bun:"updated_at"`
}

func (r *interactionRow) domain() guichet.Interaction {
	out := guichet.Interaction{ID: r.ID, Kind: guichet.InteractionKind(r.Kind), OccurredAt: r.OccurredAt, AgentID: r.AgentID,
		ContactID: deref(r.ContactID), IntervenantID: deref(r.IntervenantID),
		Identity: guichet.Identity{Name: r.IdentityName, Structure: r.IdentityStructure, Phone: r.IdentityPhone, Email: r.IdentityEmail},
		Reason:   r.Reason, Notes: r.Notes, Tickets: []guichet.InteractionTicket{}, NeedsConfirmation: r.NeedsConfirmation,
		Version: r.Version, CreatedBy: deref(r.CreatedBy), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Direction: r.Direction, Outcome: guichet.Outcome(r.Outcome), TransferredTo: deref(r.TransferredTo), OrientedTo: r.OrientedTo,
		ConsultedBy: deref(r.ConsultedBy), ConsultedAt: r.ConsultedAt, AppointmentID: deref(r.AppointmentID), WalkIn: r.WalkIn,
		Status: guichet.LetterStatus(r.LetterStatus), Registered: r.Registered, TrackingNumber: r.TrackingNumber,
		ProcessedAt: r.ProcessedAt, AnsweredAt: r.AnsweredAt, ArchivedAt: r.ArchivedAt,
		ActType: r.ActType, ServedAt: r.ServedAt, BailiffName: r.BailiffName, BailiffOffice: r.BailiffOffice,
		OrganisationID: deref(r.OrganisationID), Deadline: r.Deadline}
	if r.ScanBlobKey != nil && r.ScannedAt != nil {
		out.Scan = &guichet.Scan{Filename: r.ScanFilename, ContentType: r.ScanContentType, Size: r.ScanSize,
			SHA256: r.ScanSHA256, ScannedAt: *r.ScannedAt, ScannedBy: deref(r.ScannedBy)}
	}
	if r.MandateStatus != nil {
		out.Mandate = &guichet.InteractionMandate{Status: guichet.MandateStatus(*r.MandateStatus), Detail: r.MandateDetail,
			MandateID: deref(r.MandateID), Flagged: r.MandateFlagged}
	}
	if r.ConfirmedAt != nil {
		out.Confirmation = &guichet.Confirmation{At: *r.ConfirmedAt, By: deref(r.ConfirmedBy),
			TicketID: deref(r.ConfirmationTicketID), Text: r.ConfirmationText}
	}
	return out
}

// receptionWriters may keep the books: everyone who deals with clients.
var receptionWriters = writerRoles

// requireWriter checks that the caller may write in the kind's book:
// bailiff acts are the legal role's alone ("la réception des actes
// d'huissier ne se fait que par le service juridique").
func requireWriter(c guichet.Caller, kind guichet.InteractionKind) error {
	if kind == guichet.KindBailiffAct {
		return c.Require(guichet.ScopeReceptionWrite, guichet.RoleLegal)
	}
	return c.Require(guichet.ScopeReceptionWrite, receptionWriters...)
}

// CreateInteraction logs an entry in its book, with its unidentified
// contact and its tickets (opened or linked), in one transaction.
func (s *Store) CreateInteraction(ctx context.Context, in guichet.InteractionCreate) (guichet.Interaction, error) {
	c := guichet.CallerFrom(ctx)
	if !in.Kind.Valid() {
		return guichet.Interaction{}, guichet.Invalid("kind", "unknown kind")
	}
	if err := requireWriter(c, in.Kind); err != nil {
		return guichet.Interaction{}, err
	}
	if !in.Subjects.Empty() {
		if err := c.Require(guichet.ScopeTicketsWrite, ticketWriters...); err != nil {
			return guichet.Interaction{}, err
		}
	}
	row, err := s.newInteractionRow(in, c.Agent.ID, s.now())
	if err != nil {
		return guichet.Interaction{}, err
	}
	set, err := s.ticketSettingsFor(ctx, in.Subjects)
	if err != nil {
		return guichet.Interaction{}, wrap("create interaction", err)
	}
	var out guichet.Interaction
	err = s.inTx(ctx, func(tx *Tx) error {
		row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
		if err := s.checkInteractionRefs(ctx, tx, row, in.Identity); err != nil {
			return err
		}
		if err := s.checkInteractionMandate(ctx, tx, row); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return fmt.Errorf("insert interaction: %w", err)
		}
		if err := s.completeAppointment(ctx, tx, row); err != nil {
			return err
		}
		if err := s.attachSubjects(ctx, tx, row, in.Subjects, set); err != nil {
			return err
		}
		if out, err = interactionView(ctx, tx, row); err != nil {
			return err
		}
		return audit(ctx, tx, "create", "interaction", row.ID, nil, out)
	})
	return out, wrap("create interaction", mapMissingReference(err))
}

// ticketSettingsFor reads the settings tickets are opened with, when the
// subjects open some.
func (s *Store) ticketSettingsFor(ctx context.Context, subj guichet.Subjects) (ticketSettings, error) {
	if len(subj.Tickets) == 0 {
		return ticketSettings{}, nil
	}
	cal, pols, mapping, err := s.settings(ctx)
	if err == nil {
		err = s.ensureSequences(ctx)
	}
	return ticketSettings{cal.Calendar, pols, mapping}, err
}

// mapMissingReference: every reference is checked before it is written,
// so a foreign-key failure left is a record deleted meanwhile.
func mapMissingReference(err error) error {
	if errors.Is(err, errMissingReference) {
		return guichet.Invalid("tickets", "a referenced record does not exist")
	}
	return err
}

// newInteractionRow checks what needs no database and fills the defaults.
func (s *Store) newInteractionRow(in guichet.InteractionCreate, callerID string, now time.Time) (*interactionRow, error) {
	occurred, err := pastOrNow("occurred_at", in.OccurredAt, now)
	if err != nil {
		return nil, err
	}
	row := &interactionRow{ID: newID(), Kind: string(in.Kind), OccurredAt: occurred.Truncate(time.Microsecond),
		AgentID: in.AgentID, ContactID: nullable(in.ContactID), IntervenantID: nullable(in.IntervenantID),
		Reason: strings.TrimSpace(in.Reason), Notes: strings.TrimSpace(in.Notes), Version: 1, CreatedBy: nullable(callerID)}
	if row.AgentID == "" {
		row.AgentID = callerID
	}
	if row.AgentID == "" {
		return nil, guichet.Invalid("agent_id", "name the agent who took it")
	}
	for _, id := range []struct{ field, v string }{{"agent_id", row.AgentID}, {"contact_id", in.ContactID},
		{"intervenant_id", in.IntervenantID}, {"appointment_id", in.AppointmentID}, {"transferred_to", in.TransferredTo},
		{"consulted_by", in.ConsultedBy}, {"organisation_id", in.OrganisationID}} {
		if id.v != "" && !validID(id.v) {
			return nil, guichet.Invalid(id.field, "not a valid id")
		}
	}
	if err := s.setIdentity(row, in.Identity); err != nil {
		return nil, err
	}
	switch in.Kind {
	case guichet.KindCall, guichet.KindVisit:
		err = setOral(row, in)
	case guichet.KindVoicemail:
		err = setVoicemail(row, in, callerID, now)
	case guichet.KindLetter, guichet.KindBailiffAct:
		err = setMail(row, in, now)
	}
	if err != nil {
		return nil, err
	}
	row.NeedsConfirmation = guichet.NeedsConfirmation(in.Kind, guichet.Outcome(row.Outcome))
	row.Unconfirmed = row.NeedsConfirmation
	return row, nil
}

// setIdentity keeps the identity as said, its email and phone normalised
// like a contact's.
func (s *Store) setIdentity(row *interactionRow, id guichet.Identity) error {
	email, phone, _, err := s.normaliseReach(id.Email, id.Phone)
	if err != nil {
		return guichet.Invalid("identity.email", "not a valid email address")
	}
	row.IdentityName, row.IdentityStructure = strings.TrimSpace(id.Name), strings.TrimSpace(id.Structure)
	row.IdentityEmail, row.IdentityPhone = email, phone
	return nil
}

// setOral fills a call's or a visit's outcome: a transfer names the
// supervisor, an orientation the outside service.
func setOral(row *interactionRow, in guichet.InteractionCreate) error {
	kind := in.Kind
	supervisorField := map[guichet.InteractionKind]string{guichet.KindCall: "transferred_to", guichet.KindVisit: "referred_to"}[kind]
	if !containsOutcome(guichet.Outcomes[kind], in.Outcome) {
		return guichet.Invalid("outcome", fmt.Sprintf("a %s ends %s", kind, outcomeList(kind)))
	}
	if kind == guichet.KindCall {
		row.Direction = in.Direction
		if row.Direction == "" {
			row.Direction = "inbound"
		} else if row.Direction != "inbound" && row.Direction != "outbound" {
			return guichet.Invalid("direction", "inbound or outbound")
		}
	}
	row.Outcome, row.OrientedTo = string(in.Outcome), strings.TrimSpace(in.OrientedTo)
	switch {
	case in.Outcome.ToSupervisor() && in.TransferredTo == "":
		return guichet.Invalid(supervisorField, "name the supervisor the person was handed to")
	case !in.Outcome.ToSupervisor() && in.TransferredTo != "":
		return guichet.Invalid(supervisorField, "only for an outcome handing the person to a supervisor")
	case in.Outcome == guichet.OutcomeOrientedElsewhere && row.OrientedTo == "":
		return guichet.Invalid("oriented_to", "name the service the person was oriented to")
	case in.Outcome != guichet.OutcomeOrientedElsewhere && row.OrientedTo != "":
		return guichet.Invalid("oriented_to", "only for the outcome oriented_elsewhere")
	}
	row.TransferredTo = nullable(in.TransferredTo)
	if kind == guichet.KindVisit {
		row.AppointmentID, row.WalkIn = nullable(in.AppointmentID), in.AppointmentID == ""
	}
	return nil
}

func containsOutcome(list []guichet.Outcome, o guichet.Outcome) bool {
	for _, x := range list {
		if x == o {
			return true
		}
	}
	return false
}

func outcomeList(kind guichet.InteractionKind) string {
	names := make([]string, len(guichet.Outcomes[kind]))
	for i, o := range guichet.Outcomes[kind] {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

func setVoicemail(row *interactionRow, in guichet.InteractionCreate, callerID string, now time.Time) error {
	at, err := pastOrNow("consulted_at", in.ConsultedAt, now)
	if err != nil {
		return err
	}
	if at.Before(row.OccurredAt) {
		return guichet.Invalid("consulted_at", "cannot be before the message was left (occurred_at)")
	}
	at = at.Truncate(time.Microsecond)
	row.ConsultedAt, row.ConsultedBy = &at, nullable(in.ConsultedBy)
	if row.ConsultedBy == nil {
		row.ConsultedBy = nullable(callerID)
	}
	if row.ConsultedBy == nil {
		return guichet.Invalid("consulted_by", "name who consulted the voicemail")
	}
	return nil
}

// setMail fills a letter or an act as received. Its tickets wait for the
// scan: "les courriers doivent être scannés dans la GED".
func setMail(row *interactionRow, in guichet.InteractionCreate, now time.Time) error {
	if !in.Subjects.Empty() {
		return guichet.Invalid("tickets", "scan it first: its tickets are opened or linked when it is processed")
	}
	row.LetterStatus = string(guichet.LetterReceived)
	row.TrackingNumber = strings.TrimSpace(in.TrackingNumber)
	if in.Kind == guichet.KindLetter {
		row.Registered = in.Registered
		if row.Registered && row.TrackingNumber == "" {
			return guichet.Invalid("tracking_number", "a registered letter needs its tracking number")
		}
		return nil
	}
	row.ActType, row.BailiffName, row.BailiffOffice = strings.TrimSpace(in.ActType), strings.TrimSpace(in.BailiffName), strings.TrimSpace(in.BailiffOffice)
	if row.ActType == "" {
		return guichet.Invalid("act_type", "name the act (assignation, signification…)")
	}
	served, err := pastOrNow("served_at", in.ServedAt, now)
	if err != nil {
		return err
	}
	if in.ServedAt == nil {
		served = row.OccurredAt
	}
	served = served.Truncate(time.Microsecond)
	row.ServedAt, row.OrganisationID = &served, nullable(in.OrganisationID)
	if in.Deadline != nil {
		d := in.Deadline.UTC().Truncate(time.Microsecond)
		row.Deadline = &d
	}
	return nil
}

// checkInteractionRefs checks in tx the agents, contact and organisation
// the entry names, and makes an unknown person an unidentified contact.
func (s *Store) checkInteractionRefs(ctx context.Context, tx *Tx, row *interactionRow, id guichet.Identity) error {
	agent, err := activeAgent(ctx, tx, row.AgentID, "agent_id")
	if err != nil {
		return err
	}
	if row.Kind == string(guichet.KindBailiffAct) && !agent.HasRole(guichet.RoleLegal) {
		return guichet.Invalid("agent_id", "bailiff acts are received by the legal role only")
	}
	if row.TransferredTo != nil {
		field := map[string]string{"call": "transferred_to", "visit": "referred_to"}[row.Kind]
		sup, err := activeAgent(ctx, tx, *row.TransferredTo, field)
		if err != nil {
			return err
		}
		if !sup.HasRole(guichet.RoleSupervisor, guichet.RoleManager) {
			return guichet.Invalid(field, "must be a supervisor or a manager (un encadrant)")
		}
	}
	if row.ConsultedBy != nil {
		if _, err := activeAgent(ctx, tx, *row.ConsultedBy, "consulted_by"); err != nil {
			return err
		}
	}
	if row.OrganisationID != nil {
		if ok, err := tx.NewSelect().Table("organisations").Where("id = ?", *row.OrganisationID).Exists(ctx); err != nil {
			return err
		} else if !ok {
			return guichet.Invalid("organisation_id", "no such organisation")
		}
	}
	if row.ContactID != nil {
		if ok, err := tx.NewSelect().Table("contacts").Where("id = ?", *row.ContactID).Exists(ctx); err != nil {
			return err
		} else if !ok {
			return guichet.Invalid("contact_id", "no such contact")
		}
		return nil
	}
	return s.unidentifiedContact(ctx, tx, row, id)
}

// activeAgent loads an agent that exists and is active, or EINVALID
// naming field.
func activeAgent(ctx context.Context, tx *Tx, id, field string) (guichet.Agent, error) {
	row, err := loadByID[agentRow](ctx, tx, id, "agent")
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return guichet.Agent{}, guichet.Invalid(field, "no such agent")
	} else if err != nil {
		return guichet.Agent{}, err
	}
	if !row.Active {
		return guichet.Agent{}, guichet.Invalid(field, "this agent is inactive")
	}
	return row.domain(), nil
}

// unidentifiedContact creates the contact of a person the caller could
// not match: named as they said it, with no organisation, hence flagged
// unidentified until someone completes it. A person given by structure
// alone gets none.
func (s *Store) unidentifiedContact(ctx context.Context, tx *Tx, row *interactionRow, id guichet.Identity) error {
	if row.IdentityName == "" && row.IdentityPhone == "" && row.IdentityEmail == "" {
		return nil
	}
	c := guichet.Contact{ID: newID(), Version: 1, LastName: row.IdentityName, Email: row.IdentityEmail, Phone: id.Phone}
	if row.IdentityStructure != "" {
		c.Notes = "Structure : " + row.IdentityStructure
	}
	contact, err := s.normaliseContact(c)
	if err != nil {
		return err
	}
	contact.CreatedAt, contact.UpdatedAt = tx.Now, tx.Now
	if err := s.insertContact(ctx, tx, &contact); err != nil {
		return err
	}
	row.ContactID = &contact.ID
	return nil
}

// GetInteraction reads an entry of the kind's book ("" for any).
func (s *Store) GetInteraction(ctx context.Context, kind guichet.InteractionKind, id string) (guichet.Interaction, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeReceptionRead); err != nil {
		return guichet.Interaction{}, err
	}
	row, err := loadInteraction(ctx, s.db.read, kind, id)
	if err != nil {
		return guichet.Interaction{}, err
	}
	out, err := interactionView(ctx, s.db.read, &row)
	return out, wrap("get interaction", err)
}

// loadInteraction loads an entry of the kind's book ("" for any).
func loadInteraction(ctx context.Context, db bun.IDB, kind guichet.InteractionKind, id string) (interactionRow, error) {
	what := "interaction"
	if kind != "" {
		what = strings.ReplaceAll(string(kind), "_", " ")
	}
	row, err := loadByID[interactionRow](ctx, db, id, what)
	if err == nil && kind != "" && row.Kind != string(kind) {
		err = notFound(what)
	}
	return row, err
}

// interactionView returns the domain entry with its tickets.
func interactionView(ctx context.Context, db bun.IDB, row *interactionRow) (guichet.Interaction, error) {
	out := row.domain()
	tickets, err := loadInteractionTickets(ctx, db, []string{row.ID})
	if err != nil {
		return out, err
	}
	out.Tickets = nonNil(tickets[row.ID])
	messages, err := loadInteractionMessages(ctx, db, []string{row.ID})
	out.MessageIDs = messages[row.ID]
	return out, err
}

// loadInteractionTickets returns the tickets of each interaction, in the
// order they were attached.
func loadInteractionTickets(ctx context.Context, db bun.IDB, ids []string) (map[string][]guichet.InteractionTicket, error) {
	out := map[string][]guichet.InteractionTicket{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		InteractionID string `bun:"interaction_id"`
		TicketID      string `bun:"ticket_id"`
		Number        string `bun:"number"`
		Opened        bool   `bun:"opened"`
	}
	err := db.NewSelect().TableExpr("interaction_tickets AS it").
		ColumnExpr("it.interaction_id, it.ticket_id, t.number, it.opened").
		Join("JOIN tickets AS t ON t.id = it.ticket_id").Where("it.interaction_id IN (?)", bun.List(ids)).
		OrderExpr("it.created_at, t.seq").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("load interaction tickets: %w", err)
	}
	for _, r := range rows {
		out[r.InteractionID] = append(out[r.InteractionID], guichet.InteractionTicket{TicketID: r.TicketID, Number: r.Number, Opened: r.Opened})
	}
	return out, nil
}
