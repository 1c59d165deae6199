package httpapi

import (
	"context"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

// The reception books: one resource per kind, each handler a thin map to
// the InteractionService. Lists answer a page, or with Accept: text/csv
// the whole filtered book (books_csv.go).

func location(kindPath, id string) *string {
	loc := "/" + kindPath + "/" + id
	return &loc
}

// listBook answers a page of the book, or nil and the CSV export when the
// request asks for text/csv.
func (s *Server) listBook(ctx context.Context, f guichet.InteractionFilter, book string) (guichet.Page[guichet.Interaction], *csvBook, error) {
	if wantsCSV(ctx) {
		exp, err := s.newCSVBook(ctx, f, book)
		return guichet.Page[guichet.Interaction]{}, exp, err
	}
	page, err := s.svc.Interactions.ListInteractions(ctx, f)
	return page, nil, err
}

// ListCalls pages or exports the cahier des appels.
func (s *Server) ListCalls(ctx context.Context, r api.ListCallsRequestObject) (api.ListCallsResponseObject, error) {
	p := r.Params
	f := bookFilter{p.Limit, p.Cursor, p.From, p.To, p.AgentId, p.ContactId, p.IntervenantId, p.Unconfirmed, p.MandateFlagged}.domain(guichet.KindCall)
	f.Outcome = guichet.Outcome(enumString(p.Outcome))
	page, exp, err := s.listBook(ctx, f, "calls")
	if err != nil || exp != nil {
		return exp, err
	}
	out := api.CallPage{Items: make([]api.Call, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, i := range page.Items {
		out.Items = append(out.Items, callDTO(i))
	}
	return api.ListCalls200JSONResponse(out), nil
}

// CreateCall logs a call.
func (s *Server) CreateCall(ctx context.Context, r api.CreateCallRequestObject) (api.CreateCallResponseObject, error) {
	b := r.Body
	in := guichet.InteractionCreate{Kind: guichet.KindCall, OccurredAt: b.OccurredAt, AgentID: uuidString(b.AgentId),
		ContactID: uuidString(b.ContactId), IntervenantID: uuidString(b.IntervenantId), Identity: identityIn(b.Identity),
		Reason: str(b.Reason), Notes: str(b.Notes), Subjects: subjectsIn(b.TicketIds, b.Tickets),
		Direction: enumString(b.Direction), Outcome: guichet.Outcome(b.Outcome), TransferredTo: uuidString(b.TransferredTo),
		OrientedTo: str(b.OrientedTo)}
	i, err := s.svc.Interactions.CreateInteraction(ctx, in)
	if err != nil {
		return nil, err
	}
	return api.CreateCall201JSONResponse{Body: callDTO(i),
		Headers: api.CreateCall201ResponseHeaders{ETag: etag(i.Version), Location: location("calls", i.ID)}}, nil
}

// GetCall reads a call.
func (s *Server) GetCall(ctx context.Context, r api.GetCallRequestObject) (api.GetCallResponseObject, error) {
	i, err := s.svc.Interactions.GetInteraction(ctx, guichet.KindCall, r.InteractionId.String())
	if err != nil {
		return nil, err
	}
	return api.GetCall200JSONResponse{Body: callDTO(i), Headers: api.GetCall200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// ListVoicemails pages or exports the voicemail messages.
func (s *Server) ListVoicemails(ctx context.Context, r api.ListVoicemailsRequestObject) (api.ListVoicemailsResponseObject, error) {
	p := r.Params
	f := bookFilter{p.Limit, p.Cursor, p.From, p.To, p.AgentId, p.ContactId, p.IntervenantId, p.Unconfirmed, p.MandateFlagged}.domain(guichet.KindVoicemail)
	page, exp, err := s.listBook(ctx, f, "voicemails")
	if err != nil || exp != nil {
		return exp, err
	}
	out := api.VoicemailPage{Items: make([]api.Voicemail, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, i := range page.Items {
		out.Items = append(out.Items, voicemailDTO(i))
	}
	return api.ListVoicemails200JSONResponse(out), nil
}

// CreateVoicemail logs a voicemail message.
func (s *Server) CreateVoicemail(ctx context.Context, r api.CreateVoicemailRequestObject) (api.CreateVoicemailResponseObject, error) {
	b := r.Body
	in := guichet.InteractionCreate{Kind: guichet.KindVoicemail, OccurredAt: b.OccurredAt, AgentID: uuidString(b.AgentId),
		ContactID: uuidString(b.ContactId), IntervenantID: uuidString(b.IntervenantId), Identity: identityIn(b.Identity),
		Reason: str(b.Reason), Notes: str(b.Notes), Subjects: subjectsIn(b.TicketIds, b.Tickets),
		ConsultedBy: uuidString(b.ConsultedBy), ConsultedAt: b.ConsultedAt}
	i, err := s.svc.Interactions.CreateInteraction(ctx, in)
	if err != nil {
		return nil, err
	}
	return api.CreateVoicemail201JSONResponse{Body: voicemailDTO(i),
		Headers: api.CreateVoicemail201ResponseHeaders{ETag: etag(i.Version), Location: location("voicemails", i.ID)}}, nil
}

// GetVoicemail reads a voicemail message.
func (s *Server) GetVoicemail(ctx context.Context, r api.GetVoicemailRequestObject) (api.GetVoicemailResponseObject, error) {
	i, err := s.svc.Interactions.GetInteraction(ctx, guichet.KindVoicemail, r.InteractionId.String())
	if err != nil {
		return nil, err
	}
	return api.GetVoicemail200JSONResponse{Body: voicemailDTO(i), Headers: api.GetVoicemail200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// ListVisits pages or exports the visits.
func (s *Server) ListVisits(ctx context.Context, r api.ListVisitsRequestObject) (api.ListVisitsResponseObject, error) {
	p := r.Params
	f := bookFilter{p.Limit, p.Cursor, p.From, p.To, p.AgentId, p.ContactId, p.IntervenantId, p.Unconfirmed, p.MandateFlagged}.domain(guichet.KindVisit)
	f.Outcome = guichet.Outcome(enumString(p.Outcome))
	page, exp, err := s.listBook(ctx, f, "visits")
	if err != nil || exp != nil {
		return exp, err
	}
	out := api.VisitPage{Items: make([]api.Visit, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, i := range page.Items {
		out.Items = append(out.Items, visitDTO(i))
	}
	return api.ListVisits200JSONResponse(out), nil
}

// CreateVisit logs a visit.
func (s *Server) CreateVisit(ctx context.Context, r api.CreateVisitRequestObject) (api.CreateVisitResponseObject, error) {
	b := r.Body
	in := guichet.InteractionCreate{Kind: guichet.KindVisit, OccurredAt: b.OccurredAt, AgentID: uuidString(b.AgentId),
		ContactID: uuidString(b.ContactId), IntervenantID: uuidString(b.IntervenantId), Identity: identityIn(b.Identity),
		Reason: str(b.Reason), Notes: str(b.Notes), Subjects: subjectsIn(b.TicketIds, b.Tickets),
		AppointmentID: uuidString(b.AppointmentId), Outcome: guichet.Outcome(b.Outcome), TransferredTo: uuidString(b.ReferredTo),
		OrientedTo: str(b.OrientedTo)}
	i, err := s.svc.Interactions.CreateInteraction(ctx, in)
	if err != nil {
		return nil, err
	}
	return api.CreateVisit201JSONResponse{Body: visitDTO(i),
		Headers: api.CreateVisit201ResponseHeaders{ETag: etag(i.Version), Location: location("visits", i.ID)}}, nil
}

// GetVisit reads a visit.
func (s *Server) GetVisit(ctx context.Context, r api.GetVisitRequestObject) (api.GetVisitResponseObject, error) {
	i, err := s.svc.Interactions.GetInteraction(ctx, guichet.KindVisit, r.InteractionId.String())
	if err != nil {
		return nil, err
	}
	return api.GetVisit200JSONResponse{Body: visitDTO(i), Headers: api.GetVisit200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// ListLetters pages or exports the letters.
func (s *Server) ListLetters(ctx context.Context, r api.ListLettersRequestObject) (api.ListLettersResponseObject, error) {
	p := r.Params
	f := bookFilter{p.Limit, p.Cursor, p.From, p.To, p.AgentId, p.ContactId, p.IntervenantId, p.Unconfirmed, p.MandateFlagged}.domain(guichet.KindLetter)
	f.Status = guichet.LetterStatus(enumString(p.Status))
	page, exp, err := s.listBook(ctx, f, "letters")
	if err != nil || exp != nil {
		return exp, err
	}
	out := api.LetterPage{Items: make([]api.Letter, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, i := range page.Items {
		out.Items = append(out.Items, letterDTO(i))
	}
	return api.ListLetters200JSONResponse(out), nil
}

// CreateLetter logs a letter on arrival.
func (s *Server) CreateLetter(ctx context.Context, r api.CreateLetterRequestObject) (api.CreateLetterResponseObject, error) {
	b := r.Body
	in := guichet.InteractionCreate{Kind: guichet.KindLetter, OccurredAt: b.OccurredAt, AgentID: uuidString(b.AgentId),
		ContactID: uuidString(b.ContactId), IntervenantID: uuidString(b.IntervenantId), Identity: identityIn(b.Identity),
		Reason: str(b.Reason), Notes: str(b.Notes), Registered: boolOr(b.Registered, false), TrackingNumber: str(b.TrackingNumber)}
	i, err := s.svc.Interactions.CreateInteraction(ctx, in)
	if err != nil {
		return nil, err
	}
	return api.CreateLetter201JSONResponse{Body: letterDTO(i),
		Headers: api.CreateLetter201ResponseHeaders{ETag: etag(i.Version), Location: location("letters", i.ID)}}, nil
}

// GetLetter reads a letter.
func (s *Server) GetLetter(ctx context.Context, r api.GetLetterRequestObject) (api.GetLetterResponseObject, error) {
	i, err := s.svc.Interactions.GetInteraction(ctx, guichet.KindLetter, r.InteractionId.String())
	if err != nil {
		return nil, err
	}
	return api.GetLetter200JSONResponse{Body: letterDTO(i), Headers: api.GetLetter200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// ListBailiffActs pages or exports the bailiff acts.
func (s *Server) ListBailiffActs(ctx context.Context, r api.ListBailiffActsRequestObject) (api.ListBailiffActsResponseObject, error) {
	p := r.Params
	f := bookFilter{p.Limit, p.Cursor, p.From, p.To, p.AgentId, p.ContactId, p.IntervenantId, p.Unconfirmed, p.MandateFlagged}.domain(guichet.KindBailiffAct)
	f.Status = guichet.LetterStatus(enumString(p.Status))
	page, exp, err := s.listBook(ctx, f, "bailiff-acts")
	if err != nil || exp != nil {
		return exp, err
	}
	out := api.BailiffActPage{Items: make([]api.BailiffAct, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, i := range page.Items {
		out.Items = append(out.Items, bailiffActDTO(i))
	}
	return api.ListBailiffActs200JSONResponse(out), nil
}

// CreateBailiffAct logs a bailiff act: the legal role only.
func (s *Server) CreateBailiffAct(ctx context.Context, r api.CreateBailiffActRequestObject) (api.CreateBailiffActResponseObject, error) {
	b := r.Body
	in := guichet.InteractionCreate{Kind: guichet.KindBailiffAct, OccurredAt: b.OccurredAt, AgentID: uuidString(b.AgentId),
		ContactID: uuidString(b.ContactId), IntervenantID: uuidString(b.IntervenantId), Identity: identityIn(b.Identity),
		Reason: str(b.Reason), Notes: str(b.Notes), ActType: b.ActType, ServedAt: b.ServedAt, BailiffName: str(b.BailiffName),
		BailiffOffice: str(b.BailiffOffice), OrganisationID: uuidString(b.OrganisationId), Deadline: b.Deadline}
	i, err := s.svc.Interactions.CreateInteraction(ctx, in)
	if err != nil {
		return nil, err
	}
	return api.CreateBailiffAct201JSONResponse{Body: bailiffActDTO(i),
		Headers: api.CreateBailiffAct201ResponseHeaders{ETag: etag(i.Version), Location: location("bailiff-acts", i.ID)}}, nil
}

// GetBailiffAct reads a bailiff act.
func (s *Server) GetBailiffAct(ctx context.Context, r api.GetBailiffActRequestObject) (api.GetBailiffActResponseObject, error) {
	i, err := s.svc.Interactions.GetInteraction(ctx, guichet.KindBailiffAct, r.InteractionId.String())
	if err != nil {
		return nil, err
	}
	return api.GetBailiffAct200JSONResponse{Body: bailiffActDTO(i), Headers: api.GetBailiffAct200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// ListInteractions pages or exports every book at once.
func (s *Server) ListInteractions(ctx context.Context, r api.ListInteractionsRequestObject) (api.ListInteractionsResponseObject, error) {
	p := r.Params
	f := bookFilter{p.Limit, p.Cursor, p.From, p.To, p.AgentId, p.ContactId, p.IntervenantId, p.Unconfirmed, p.MandateFlagged}.
		domain(guichet.InteractionKind(enumString(p.Kind)))
	f.Outcome = guichet.Outcome(enumString(p.Outcome))
	page, exp, err := s.listBook(ctx, f, "interactions")
	if err != nil || exp != nil {
		return exp, err
	}
	out := api.InteractionPage{Items: make([]api.Interaction, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, i := range page.Items {
		out.Items = append(out.Items, interactionDTO(i))
	}
	return api.ListInteractions200JSONResponse(out), nil
}

// GetInteraction reads an interaction of any kind.
func (s *Server) GetInteraction(ctx context.Context, r api.GetInteractionRequestObject) (api.GetInteractionResponseObject, error) {
	i, err := s.svc.Interactions.GetInteraction(ctx, "", r.InteractionId.String())
	if err != nil {
		return nil, err
	}
	return api.GetInteraction200JSONResponse{Body: interactionDTO(i), Headers: api.GetInteraction200ResponseHeaders{ETag: etag(i.Version)}}, nil
}

// ConfirmInteraction confirms an oral exchange in writing.
func (s *Server) ConfirmInteraction(ctx context.Context, r api.ConfirmInteractionRequestObject) (api.ConfirmInteractionResponseObject, error) {
	i, err := s.svc.Interactions.ConfirmInteraction(ctx, r.InteractionId.String(),
		guichet.ConfirmationCreate{TicketID: uuidString(r.Body.TicketId), Text: r.Body.Text})
	if err != nil {
		return nil, err
	}
	return api.ConfirmInteraction200JSONResponse{Body: interactionDTO(i), Headers: api.ConfirmInteraction200ResponseHeaders{ETag: etag(i.Version)}}, nil
}
