package httpapi

import (
	"context"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func intervenantDTO(v guichet.Intervenant) api.Intervenant {
	return api.Intervenant{Id: parseUUID(v.ID), Name: v.Name, Structure: optString(v.Structure), Kind: api.IntervenantKind(v.Kind),
		Category: api.IntervenantCategory(v.Category), PreferredChannel: api.IntervenantChannel(v.PreferredChannel),
		Email: optString(v.Email), Phone: optString(v.Phone), Address: optString(v.Address), Notes: optString(v.Notes),
		Agreement: api.Agreement{Status: api.AgreementStatus(v.Agreement.Status), DecidedBy: nullableUUID(v.Agreement.DecidedBy),
			DecidedAt: nullableTime(v.Agreement.DecidedAt), Reason: optString(v.Agreement.Reason)},
		Version: v.Version, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

// ListIntervenants lists or searches intervenants.
func (s *Server) ListIntervenants(ctx context.Context, r api.ListIntervenantsRequestObject) (api.ListIntervenantsResponseObject, error) {
	p := r.Params
	page, err := s.svc.Intervenants.ListIntervenants(ctx, guichet.IntervenantFilter{Query: str(p.Q),
		Category: guichet.IntervenantCategory(enumString(p.Category)), Kind: guichet.IntervenantKind(enumString(p.Kind)),
		Agreement: guichet.AgreementStatus(enumString(p.AgreementStatus)), Sort: enumString(p.Sort), Page: pageRequest(p.Limit, p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.IntervenantPage{Items: make([]api.Intervenant, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, v := range page.Items {
		out.Items = append(out.Items, intervenantDTO(v))
	}
	return api.ListIntervenants200JSONResponse(out), nil
}

// CreateIntervenant registers an intervenant.
func (s *Server) CreateIntervenant(ctx context.Context, r api.CreateIntervenantRequestObject) (api.CreateIntervenantResponseObject, error) {
	b := r.Body
	v, err := s.svc.Intervenants.CreateIntervenant(ctx, guichet.Intervenant{Name: b.Name, Structure: str(b.Structure),
		Kind: guichet.IntervenantKind(b.Kind), Category: guichet.IntervenantCategory(enumString(b.Category)),
		PreferredChannel: guichet.IntervenantChannel(enumString(b.PreferredChannel)), Email: emailString(b.Email),
		Phone: str(b.Phone), Address: str(b.Address), Notes: str(b.Notes)})
	if err != nil {
		return nil, err
	}
	loc := "/intervenants/" + v.ID
	return api.CreateIntervenant201JSONResponse{Body: intervenantDTO(v),
		Headers: api.CreateIntervenant201ResponseHeaders{ETag: etag(v.Version), Location: &loc}}, nil
}

// GetIntervenant reads an intervenant.
func (s *Server) GetIntervenant(ctx context.Context, r api.GetIntervenantRequestObject) (api.GetIntervenantResponseObject, error) {
	v, err := s.svc.Intervenants.GetIntervenant(ctx, r.IntervenantId.String())
	if err != nil {
		return nil, err
	}
	return api.GetIntervenant200JSONResponse{Body: intervenantDTO(v), Headers: api.GetIntervenant200ResponseHeaders{ETag: etag(v.Version)}}, nil
}

// UpdateIntervenant changes an intervenant.
func (s *Server) UpdateIntervenant(ctx context.Context, r api.UpdateIntervenantRequestObject) (api.UpdateIntervenantResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	in := guichet.IntervenantUpdate{Name: b.Name, Structure: patchString(b.Structure), Email: patchEmail(b.Email),
		Phone: patchString(b.Phone), Address: patchString(b.Address), Notes: patchString(b.Notes)}
	if b.Kind != nil {
		k := guichet.IntervenantKind(*b.Kind)
		in.Kind = &k
	}
	if b.Category != nil {
		c := guichet.IntervenantCategory(*b.Category)
		in.Category = &c
	}
	if b.PreferredChannel != nil {
		ch := guichet.IntervenantChannel(*b.PreferredChannel)
		in.PreferredChannel = &ch
	}
	v, err := s.svc.Intervenants.UpdateIntervenant(ctx, r.IntervenantId.String(), version, in)
	if err != nil {
		return nil, err
	}
	return api.UpdateIntervenant200JSONResponse{Body: intervenantDTO(v), Headers: api.UpdateIntervenant200ResponseHeaders{ETag: etag(v.Version)}}, nil
}

// DeleteIntervenant deletes an intervenant nothing refers to.
func (s *Server) DeleteIntervenant(ctx context.Context, r api.DeleteIntervenantRequestObject) (api.DeleteIntervenantResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Intervenants.DeleteIntervenant(ctx, r.IntervenantId.String(), version); err != nil {
		return nil, err
	}
	return api.DeleteIntervenant204Response{}, nil
}

// DecideIntervenantAgreement records a manager's approval or rejection.
func (s *Server) DecideIntervenantAgreement(ctx context.Context, r api.DecideIntervenantAgreementRequestObject) (api.DecideIntervenantAgreementResponseObject, error) {
	d := guichet.AgreementDecision{Approve: r.Body.Decision == api.AgreementDecisionDecisionApprove, Reason: str(r.Body.Reason)}
	v, err := s.svc.Intervenants.DecideAgreement(ctx, r.IntervenantId.String(), d)
	if err != nil {
		return nil, err
	}
	return api.DecideIntervenantAgreement200JSONResponse{Body: intervenantDTO(v),
		Headers: api.DecideIntervenantAgreement200ResponseHeaders{ETag: etag(v.Version)}}, nil
}

func disclosureDTO(d guichet.Disclosure) api.Disclosure {
	return api.Disclosure{Id: parseUUID(d.ID), IntervenantId: parseUUID(d.IntervenantID), ContactId: nullableUUID(d.ContactID),
		OrganisationId: nullableUUID(d.OrganisationID), Category: api.Category(d.Category), Summary: d.Summary,
		Basis: api.DisclosureBasis(d.Basis), MandateId: nullableUUID(d.MandateID), DisclosedBy: nullableUUID(d.DisclosedBy),
		DisclosedAt: d.DisclosedAt}
}

// ListDisclosures lists what was shared with an intervenant.
func (s *Server) ListDisclosures(ctx context.Context, r api.ListDisclosuresRequestObject) (api.ListDisclosuresResponseObject, error) {
	page, err := s.svc.Intervenants.ListDisclosures(ctx, r.IntervenantId.String(), pageRequest(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := api.DisclosurePage{Items: make([]api.Disclosure, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, d := range page.Items {
		out.Items = append(out.Items, disclosureDTO(d))
	}
	return api.ListDisclosures200JSONResponse(out), nil
}

// CreateDisclosure records information shared from a client's file.
func (s *Server) CreateDisclosure(ctx context.Context, r api.CreateDisclosureRequestObject) (api.CreateDisclosureResponseObject, error) {
	b := r.Body
	d, err := s.svc.Intervenants.CreateDisclosure(ctx, r.IntervenantId.String(), guichet.Disclosure{
		ContactID: uuidString(b.ContactId), OrganisationID: uuidString(b.OrganisationId),
		Category: guichet.Category(b.Category), Summary: b.Summary})
	if err != nil {
		return nil, err
	}
	return api.CreateDisclosure201JSONResponse(disclosureDTO(d)), nil
}

// CheckIntervenantMandate says whether the intervenant may act on a
// client's file.
func (s *Server) CheckIntervenantMandate(ctx context.Context, r api.CheckIntervenantMandateRequestObject) (api.CheckIntervenantMandateResponseObject, error) {
	p := r.Params
	c, err := s.svc.Intervenants.MandateCheckFor(ctx, r.IntervenantId.String(), uuidString(p.ContactId),
		uuidString(p.OrganisationId), guichet.Category(enumString(p.Category)), p.At)
	if err != nil {
		return nil, err
	}
	return api.CheckIntervenantMandate200JSONResponse(api.MandateCheck{Status: api.MandateCheckStatus(c.Status),
		MandateId: nullableUUID(c.MandateID), Detail: c.Detail}), nil
}
