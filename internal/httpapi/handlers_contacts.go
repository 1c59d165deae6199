package httpapi

import (
	"context"

	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func organisationDTO(o guichet.Organisation) api.Organisation {
	return api.Organisation{Id: parseUUID(o.ID), Name: o.Name, Email: optString(o.Email), Phone: optString(o.Phone),
		Address: optString(o.Address), Notes: optString(o.Notes), RegisteredClient: o.RegisteredClient,
		Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func contactDTO(c guichet.Contact) api.Contact {
	return api.Contact{Id: parseUUID(c.ID), FirstName: optString(c.FirstName), LastName: optString(c.LastName),
		Email: optString(c.Email), Phone: optString(c.Phone), JobTitle: optString(c.JobTitle), Notes: optString(c.Notes),
		OrganisationId: nullableUUID(c.OrganisationID), Individual: c.Individual, RegisteredClient: c.RegisteredClient,
		Unidentified: c.Unidentified(), EmailBouncedAt: nullableTime(c.EmailBouncedAt), Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func emailString(e *openapi_types.Email) string {
	if e == nil {
		return ""
	}
	return string(*e)
}

func patchEmail(n nullable.Nullable[openapi_types.Email]) *string {
	if !n.IsSpecified() {
		return nil
	}
	s := ""
	if !n.IsNull() {
		s = string(n.MustGet())
	}
	return &s
}

// enumString returns an optional enum parameter as a string, "" when absent.
func enumString[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// ListOrganisations lists or searches organisations.
func (s *Server) ListOrganisations(ctx context.Context, r api.ListOrganisationsRequestObject) (api.ListOrganisationsResponseObject, error) {
	p := r.Params
	page, err := s.svc.Contacts.ListOrganisations(ctx, guichet.OrganisationFilter{Query: str(p.Q),
		RegisteredClient: p.RegisteredClient, Sort: enumString(p.Sort), Page: pageRequest(p.Limit, p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.OrganisationPage{Items: []api.Organisation{}, NextCursor: nullableString(page.NextCursor)}
	for _, o := range page.Items {
		out.Items = append(out.Items, organisationDTO(o))
	}
	return api.ListOrganisations200JSONResponse(out), nil
}

// CreateOrganisation creates an organisation.
func (s *Server) CreateOrganisation(ctx context.Context, r api.CreateOrganisationRequestObject) (api.CreateOrganisationResponseObject, error) {
	b := r.Body
	o, err := s.svc.Contacts.CreateOrganisation(ctx, guichet.Organisation{Name: b.Name, Email: emailString(b.Email),
		Phone: str(b.Phone), Address: str(b.Address), Notes: str(b.Notes), RegisteredClient: boolOr(b.RegisteredClient, false)})
	if err != nil {
		return nil, err
	}
	loc := "/organisations/" + o.ID
	return api.CreateOrganisation201JSONResponse{Body: organisationDTO(o),
		Headers: api.CreateOrganisation201ResponseHeaders{ETag: etag(o.Version), Location: &loc}}, nil
}

// GetOrganisation reads an organisation.
func (s *Server) GetOrganisation(ctx context.Context, r api.GetOrganisationRequestObject) (api.GetOrganisationResponseObject, error) {
	o, err := s.svc.Contacts.GetOrganisation(ctx, r.OrganisationId.String())
	if err != nil {
		return nil, err
	}
	return api.GetOrganisation200JSONResponse{Body: organisationDTO(o), Headers: api.GetOrganisation200ResponseHeaders{ETag: etag(o.Version)}}, nil
}

// UpdateOrganisation changes an organisation.
func (s *Server) UpdateOrganisation(ctx context.Context, r api.UpdateOrganisationRequestObject) (api.UpdateOrganisationResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	o, err := s.svc.Contacts.UpdateOrganisation(ctx, r.OrganisationId.String(), version, guichet.OrganisationUpdate{
		Name: b.Name, Email: patchEmail(b.Email), Phone: patchString(b.Phone), Address: patchString(b.Address),
		Notes: patchString(b.Notes), RegisteredClient: b.RegisteredClient})
	if err != nil {
		return nil, err
	}
	return api.UpdateOrganisation200JSONResponse{Body: organisationDTO(o), Headers: api.UpdateOrganisation200ResponseHeaders{ETag: etag(o.Version)}}, nil
}

// DeleteOrganisation deletes an organisation without contacts.
func (s *Server) DeleteOrganisation(ctx context.Context, r api.DeleteOrganisationRequestObject) (api.DeleteOrganisationResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Contacts.DeleteOrganisation(ctx, r.OrganisationId.String(), version); err != nil {
		return nil, err
	}
	return api.DeleteOrganisation204Response{}, nil
}

// ListContacts lists or searches contacts.
func (s *Server) ListContacts(ctx context.Context, r api.ListContactsRequestObject) (api.ListContactsResponseObject, error) {
	p := r.Params
	f := guichet.ContactFilter{Query: str(p.Q), RegisteredClient: p.RegisteredClient, Unidentified: p.Unidentified,
		Sort: enumString(p.Sort), Page: pageRequest(p.Limit, p.Cursor)}
	if p.OrganisationId != nil {
		f.OrganisationID = p.OrganisationId.String()
	}
	page, err := s.svc.Contacts.ListContacts(ctx, f)
	if err != nil {
		return nil, err
	}
	out := api.ContactPage{Items: []api.Contact{}, NextCursor: nullableString(page.NextCursor)}
	for _, c := range page.Items {
		out.Items = append(out.Items, contactDTO(c))
	}
	return api.ListContacts200JSONResponse(out), nil
}

// CreateContact creates a contact, refusing likely duplicates.
func (s *Server) CreateContact(ctx context.Context, r api.CreateContactRequestObject) (api.CreateContactResponseObject, error) {
	b := r.Body
	in := guichet.Contact{FirstName: str(b.FirstName), LastName: str(b.LastName), Email: emailString(b.Email),
		Phone: str(b.Phone), JobTitle: str(b.JobTitle), Notes: str(b.Notes),
		Individual: boolOr(b.Individual, false), RegisteredClient: boolOr(b.RegisteredClient, false)}
	if b.OrganisationId != nil {
		in.OrganisationID = b.OrganisationId.String()
	}
	c, err := s.svc.Contacts.CreateContact(ctx, in, boolOr(b.AllowDuplicate, false))
	if err != nil {
		return nil, err
	}
	loc := "/contacts/" + c.ID
	return api.CreateContact201JSONResponse{Body: contactDTO(c),
		Headers: api.CreateContact201ResponseHeaders{ETag: etag(c.Version), Location: &loc}}, nil
}

// GetContact reads a contact.
func (s *Server) GetContact(ctx context.Context, r api.GetContactRequestObject) (api.GetContactResponseObject, error) {
	c, err := s.svc.Contacts.GetContact(ctx, r.ContactId.String())
	if err != nil {
		return nil, err
	}
	return api.GetContact200JSONResponse{Body: contactDTO(c), Headers: api.GetContact200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// UpdateContact changes a contact.
func (s *Server) UpdateContact(ctx context.Context, r api.UpdateContactRequestObject) (api.UpdateContactResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	c, err := s.svc.Contacts.UpdateContact(ctx, r.ContactId.String(), version, guichet.ContactUpdate{
		FirstName: patchString(b.FirstName), LastName: patchString(b.LastName), Email: patchEmail(b.Email),
		Phone: patchString(b.Phone), JobTitle: patchString(b.JobTitle), Notes: patchString(b.Notes),
		OrganisationID: patchUUID(b.OrganisationId), Individual: b.Individual, RegisteredClient: b.RegisteredClient})
	if err != nil {
		return nil, err
	}
	return api.UpdateContact200JSONResponse{Body: contactDTO(c), Headers: api.UpdateContact200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// DeleteContact deletes a contact.
func (s *Server) DeleteContact(ctx context.Context, r api.DeleteContactRequestObject) (api.DeleteContactResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Contacts.DeleteContact(ctx, r.ContactId.String(), version); err != nil {
		return nil, err
	}
	return api.DeleteContact204Response{}, nil
}
