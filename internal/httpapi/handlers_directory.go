package httpapi

import (
	"context"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func outsideServiceDTO(o guichet.OutsideService) api.OutsideService {
	return api.OutsideService{Id: parseUUID(o.ID), Name: o.Name, Domain: o.Domain, Address: optString(o.Address),
		Phone: optString(o.Phone), Email: optString(o.Email), Website: optString(o.Website), Hours: optString(o.Hours),
		Notes: optString(o.Notes), Version: o.Version, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

// ListOutsideServices lists or searches the directory of outside services.
func (s *Server) ListOutsideServices(ctx context.Context, r api.ListOutsideServicesRequestObject) (api.ListOutsideServicesResponseObject, error) {
	p := r.Params
	page, err := s.svc.Directory.ListOutsideServices(ctx, guichet.OutsideServiceFilter{Query: str(p.Q), Domain: str(p.Domain),
		Page: pageRequest(p.Limit, p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.OutsideServicePage{Items: make([]api.OutsideService, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for i, o := range page.Items {
		out.Items[i] = outsideServiceDTO(o)
	}
	return api.ListOutsideServices200JSONResponse(out), nil
}

// CreateOutsideService adds an entry to the directory.
func (s *Server) CreateOutsideService(ctx context.Context, r api.CreateOutsideServiceRequestObject) (api.CreateOutsideServiceResponseObject, error) {
	b := r.Body
	o, err := s.svc.Directory.CreateOutsideService(ctx, guichet.OutsideService{Name: b.Name, Domain: b.Domain,
		Address: str(b.Address), Phone: str(b.Phone), Email: emailString(b.Email), Website: str(b.Website),
		Hours: str(b.Hours), Notes: str(b.Notes)})
	if err != nil {
		return nil, err
	}
	loc := "/outside-services/" + o.ID
	return api.CreateOutsideService201JSONResponse{Body: outsideServiceDTO(o),
		Headers: api.CreateOutsideService201ResponseHeaders{ETag: etag(o.Version), Location: &loc}}, nil
}

// GetOutsideService reads an entry of the directory.
func (s *Server) GetOutsideService(ctx context.Context, r api.GetOutsideServiceRequestObject) (api.GetOutsideServiceResponseObject, error) {
	o, err := s.svc.Directory.GetOutsideService(ctx, r.OutsideServiceId.String())
	if err != nil {
		return nil, err
	}
	return api.GetOutsideService200JSONResponse{Body: outsideServiceDTO(o), Headers: api.GetOutsideService200ResponseHeaders{ETag: etag(o.Version)}}, nil
}

// UpdateOutsideService changes an entry of the directory.
func (s *Server) UpdateOutsideService(ctx context.Context, r api.UpdateOutsideServiceRequestObject) (api.UpdateOutsideServiceResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	o, err := s.svc.Directory.UpdateOutsideService(ctx, r.OutsideServiceId.String(), version, guichet.OutsideServiceUpdate{
		Name: b.Name, Domain: b.Domain, Address: patchString(b.Address), Phone: patchString(b.Phone), Email: patchEmail(b.Email),
		Website: patchString(b.Website), Hours: patchString(b.Hours), Notes: patchString(b.Notes)})
	if err != nil {
		return nil, err
	}
	return api.UpdateOutsideService200JSONResponse{Body: outsideServiceDTO(o), Headers: api.UpdateOutsideService200ResponseHeaders{ETag: etag(o.Version)}}, nil
}

// DeleteOutsideService removes an entry of the directory.
func (s *Server) DeleteOutsideService(ctx context.Context, r api.DeleteOutsideServiceRequestObject) (api.DeleteOutsideServiceResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Directory.DeleteOutsideService(ctx, r.OutsideServiceId.String(), version); err != nil {
		return nil, err
	}
	return api.DeleteOutsideService204Response{}, nil
}
