package httpapi

import (
	"time"

	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

// The books' DTOs: each kind's resource is the shared base and the kind's
// fields, which the generated types merge into one struct per kind.

func baseDTO(i guichet.Interaction) api.InteractionBase {
	out := api.InteractionBase{Id: parseUUID(i.ID), Kind: api.InteractionKind(i.Kind), OccurredAt: i.OccurredAt,
		AgentId: parseUUID(i.AgentID), ContactId: nullableUUID(i.ContactID), IntervenantId: nullableUUID(i.IntervenantID),
		Identity: identityDTO(i.Identity), Reason: i.Reason, Notes: i.Notes, Tickets: make([]api.InteractionTicket, len(i.Tickets)),
		NeedsConfirmation: i.NeedsConfirmation, Confirmation: nullable.NewNullNullable[api.InteractionConfirmation](),
		Version: i.Version, CreatedBy: nullableUUID(i.CreatedBy), CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
	for n, t := range i.Tickets {
		out.Tickets[n] = api.InteractionTicket{TicketId: parseUUID(t.TicketID), Number: t.Number, Opened: t.Opened}
	}
	if m := i.Mandate; m != nil {
		out.Mandate = nullable.NewNullableWithValue(api.InteractionMandate{Status: api.InteractionMandateStatus(m.Status),
			Detail: m.Detail, MandateId: nullableUUID(m.MandateID), Flagged: m.Flagged})
	}
	if len(i.MessageIDs) > 0 {
		ids := make([]openapi_types.UUID, len(i.MessageIDs))
		for n, id := range i.MessageIDs {
			ids[n] = parseUUID(id)
		}
		out.MessageIds = &ids
	}
	if c := i.Confirmation; c != nil {
		out.Confirmation.Set(api.InteractionConfirmation{ConfirmedAt: c.At, ConfirmedBy: nullableUUID(c.By),
			TicketId: nullableUUID(c.TicketID), Text: c.Text})
	}
	return out
}

func identityDTO(id guichet.Identity) api.Identity {
	out := api.Identity{Name: optString(id.Name), Structure: optString(id.Structure), Phone: optString(id.Phone)}
	if id.Email != "" {
		e := openapi_types.Email(id.Email)
		out.Email = &e
	}
	return out
}

func identityIn(id *api.Identity) guichet.Identity {
	if id == nil {
		return guichet.Identity{}
	}
	out := guichet.Identity{Name: str(id.Name), Structure: str(id.Structure), Phone: str(id.Phone)}
	if id.Email != nil {
		out.Email = string(*id.Email)
	}
	return out
}

func callFields(i guichet.Interaction) api.CallFields {
	return api.CallFields{Direction: api.CallFieldsDirection(i.Direction), Outcome: api.InteractionOutcome(i.Outcome),
		TransferredTo: nullableUUID(i.TransferredTo), OrientedTo: optString(i.OrientedTo)}
}

func voicemailFields(i guichet.Interaction) api.VoicemailFields {
	out := api.VoicemailFields{ConsultedBy: parseUUID(i.ConsultedBy)}
	if i.ConsultedAt != nil {
		out.ConsultedAt = *i.ConsultedAt
	}
	return out
}

func visitFields(i guichet.Interaction) api.VisitFields {
	return api.VisitFields{AppointmentId: nullableUUID(i.AppointmentID), WalkIn: i.WalkIn, Outcome: api.InteractionOutcome(i.Outcome),
		ReferredTo: nullableUUID(i.TransferredTo), OrientedTo: optString(i.OrientedTo)}
}

func scanDTO(sc *guichet.Scan) nullable.Nullable[api.InteractionScan] {
	if sc == nil {
		return nullable.NewNullNullable[api.InteractionScan]()
	}
	return nullable.NewNullableWithValue(api.InteractionScan{Filename: sc.Filename, ContentType: sc.ContentType, Size: sc.Size,
		Sha256: sc.SHA256, ScannedAt: sc.ScannedAt, ScannedBy: nullableUUID(sc.ScannedBy)})
}

func letterFields(i guichet.Interaction) api.LetterFields {
	return api.LetterFields{Status: api.LetterStatus(i.Status), Registered: i.Registered, TrackingNumber: optString(i.TrackingNumber),
		Scan: scanDTO(i.Scan), ProcessedAt: nullableTime(i.ProcessedAt), AnsweredAt: nullableTime(i.AnsweredAt), ArchivedAt: nullableTime(i.ArchivedAt)}
}

func bailiffActFields(i guichet.Interaction) api.BailiffActFields {
	out := api.BailiffActFields{Status: api.LetterStatus(i.Status), ActType: i.ActType, BailiffName: optString(i.BailiffName),
		BailiffOffice: optString(i.BailiffOffice), OrganisationId: nullableUUID(i.OrganisationID), Deadline: nullableTime(i.Deadline),
		Scan: scanDTO(i.Scan), ProcessedAt: nullableTime(i.ProcessedAt), AnsweredAt: nullableTime(i.AnsweredAt), ArchivedAt: nullableTime(i.ArchivedAt)}
	if i.ServedAt != nil {
		out.ServedAt = *i.ServedAt
	}
	return out
}

func callDTO(i guichet.Interaction) api.Call {
	b, f := baseDTO(i), callFields(i)
	return api.Call{Id: b.Id, Kind: b.Kind, OccurredAt: b.OccurredAt, AgentId: b.AgentId, ContactId: b.ContactId,
		IntervenantId: b.IntervenantId, Identity: b.Identity, Reason: b.Reason, Notes: b.Notes, Tickets: b.Tickets,
		NeedsConfirmation: b.NeedsConfirmation, Confirmation: b.Confirmation, Mandate: b.Mandate, MessageIds: b.MessageIds, Version: b.Version, CreatedBy: b.CreatedBy,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		Direction: api.CallDirection(f.Direction), Outcome: f.Outcome, TransferredTo: f.TransferredTo, OrientedTo: f.OrientedTo}
}

func voicemailDTO(i guichet.Interaction) api.Voicemail {
	b, f := baseDTO(i), voicemailFields(i)
	return api.Voicemail{Id: b.Id, Kind: b.Kind, OccurredAt: b.OccurredAt, AgentId: b.AgentId, ContactId: b.ContactId,
		IntervenantId: b.IntervenantId, Identity: b.Identity, Reason: b.Reason, Notes: b.Notes, Tickets: b.Tickets,
		NeedsConfirmation: b.NeedsConfirmation, Confirmation: b.Confirmation, Mandate: b.Mandate, MessageIds: b.MessageIds, Version: b.Version, CreatedBy: b.CreatedBy,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		ConsultedBy: f.ConsultedBy, ConsultedAt: f.ConsultedAt}
}

func visitDTO(i guichet.Interaction) api.Visit {
	b, f := baseDTO(i), visitFields(i)
	return api.Visit{Id: b.Id, Kind: b.Kind, OccurredAt: b.OccurredAt, AgentId: b.AgentId, ContactId: b.ContactId,
		IntervenantId: b.IntervenantId, Identity: b.Identity, Reason: b.Reason, Notes: b.Notes, Tickets: b.Tickets,
		NeedsConfirmation: b.NeedsConfirmation, Confirmation: b.Confirmation, Mandate: b.Mandate, MessageIds: b.MessageIds, Version: b.Version, CreatedBy: b.CreatedBy,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		AppointmentId: f.AppointmentId, WalkIn: f.WalkIn, Outcome: f.Outcome, ReferredTo: f.ReferredTo, OrientedTo: f.OrientedTo}
}

func letterDTO(i guichet.Interaction) api.Letter {
	b, f := baseDTO(i), letterFields(i)
	return api.Letter{Id: b.Id, Kind: b.Kind, OccurredAt: b.OccurredAt, AgentId: b.AgentId, ContactId: b.ContactId,
		IntervenantId: b.IntervenantId, Identity: b.Identity, Reason: b.Reason, Notes: b.Notes, Tickets: b.Tickets,
		NeedsConfirmation: b.NeedsConfirmation, Confirmation: b.Confirmation, Mandate: b.Mandate, MessageIds: b.MessageIds, Version: b.Version, CreatedBy: b.CreatedBy,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		Status: f.Status, Registered: f.Registered, TrackingNumber: f.TrackingNumber, Scan: f.Scan,
		ProcessedAt: f.ProcessedAt, AnsweredAt: f.AnsweredAt, ArchivedAt: f.ArchivedAt}
}

func bailiffActDTO(i guichet.Interaction) api.BailiffAct {
	b, f := baseDTO(i), bailiffActFields(i)
	return api.BailiffAct{Id: b.Id, Kind: b.Kind, OccurredAt: b.OccurredAt, AgentId: b.AgentId, ContactId: b.ContactId,
		IntervenantId: b.IntervenantId, Identity: b.Identity, Reason: b.Reason, Notes: b.Notes, Tickets: b.Tickets,
		NeedsConfirmation: b.NeedsConfirmation, Confirmation: b.Confirmation, Mandate: b.Mandate, MessageIds: b.MessageIds, Version: b.Version, CreatedBy: b.CreatedBy,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		Status: f.Status, ActType: f.ActType, ServedAt: f.ServedAt, BailiffName: f.BailiffName, BailiffOffice: f.BailiffOffice,
		OrganisationId: f.OrganisationId, Deadline: f.Deadline, Scan: f.Scan,
		ProcessedAt: f.ProcessedAt, AnsweredAt: f.AnsweredAt, ArchivedAt: f.ArchivedAt}
}

// interactionDTO is the view of any kind: the kind's fields under its name.
func interactionDTO(i guichet.Interaction) api.Interaction {
	b := baseDTO(i)
	out := api.Interaction{Id: b.Id, Kind: b.Kind, OccurredAt: b.OccurredAt, AgentId: b.AgentId, ContactId: b.ContactId,
		IntervenantId: b.IntervenantId, Identity: b.Identity, Reason: b.Reason, Notes: b.Notes, Tickets: b.Tickets,
		NeedsConfirmation: b.NeedsConfirmation, Confirmation: b.Confirmation, Mandate: b.Mandate, MessageIds: b.MessageIds, Version: b.Version, CreatedBy: b.CreatedBy,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
	switch i.Kind {
	case guichet.KindCall:
		f := callFields(i)
		out.Call = &f
	case guichet.KindVoicemail:
		f := voicemailFields(i)
		out.Voicemail = &f
	case guichet.KindVisit:
		f := visitFields(i)
		out.Visit = &f
	case guichet.KindLetter:
		f := letterFields(i)
		out.Letter = &f
	case guichet.KindBailiffAct:
		f := bailiffActFields(i)
		out.BailiffAct = &f
	}
	return out
}

// subjectsIn maps the tickets of a request to the domain.
func subjectsIn(ids *[]openapi_types.UUID, tickets *[]api.InteractionTicketCreate) guichet.Subjects {
	out := guichet.Subjects{TicketIDs: uuidStrings(ids)}
	if tickets == nil {
		return out
	}
	for _, t := range *tickets {
		spec := guichet.InteractionTicketCreate{Subject: t.Subject, Description: str(t.Description),
			Category: guichet.Category(t.Category), Urgency: guichet.Urgency(enumString(t.Urgency)),
			AssigneeID: uuidString(t.AssigneeId), FileReference: str(t.FileReference), NeedsAnswer: t.NeedsAnswer}
		if t.Works != nil {
			spec.Works = &guichet.TicketWorks{IntervenantID: t.Works.IntervenantId.String(), ExternalProject: str(t.Works.ExternalProject)}
		}
		out.Tickets = append(out.Tickets, spec)
	}
	return out
}

// bookFilter is the filter every book's list takes.
type bookFilter struct {
	limit                       *int
	cursor                      *string
	from, to                    *time.Time
	agent, contact, intervenant *openapi_types.UUID
	unconfirmed, mandateFlagged *bool
}

func (b bookFilter) domain(kind guichet.InteractionKind) guichet.InteractionFilter {
	return guichet.InteractionFilter{Kind: kind, From: b.from, To: b.to, AgentID: uuidString(b.agent),
		ContactID: uuidString(b.contact), IntervenantID: uuidString(b.intervenant), Unconfirmed: b.unconfirmed,
		MandateFlagged: b.mandateFlagged,
		Page:           pageRequest(b.limit, b.cursor)}
}
