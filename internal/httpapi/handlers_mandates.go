package httpapi

import (
	"context"
	"time"

	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func mandateDTO(m guichet.Mandate) api.Mandate {
	out := api.Mandate{Id: parseUUID(m.ID), IntervenantId: parseUUID(m.IntervenantID), ContactId: nullableUUID(m.ContactID),
		OrganisationId: nullableUUID(m.OrganisationID), Direction: api.MandateDirection(m.Direction),
		ValidFrom: openapi_types.Date{Time: m.ValidFrom}, ValidUntil: nullable.NewNullNullable[openapi_types.Date](),
		Scope: make([]api.Category, len(m.Scope)), Notes: optString(m.Notes), Status: api.MandateStatus(m.Standing),
		RevokedAt: nullableTime(m.RevokedAt), RevokedBy: nullableUUID(m.RevokedBy), CreatedBy: nullableUUID(m.CreatedBy),
		Version: m.Version, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if m.ValidUntil != nil {
		out.ValidUntil.Set(openapi_types.Date{Time: *m.ValidUntil})
	}
	for i, c := range m.Scope {
		out.Scope[i] = api.Category(c)
	}
	if d := m.Document; d != nil {
		out.Document = &api.MandateDocument{Filename: d.Filename, ContentType: d.ContentType, Size: d.Size, Sha256: d.SHA256,
			UploadedAt: d.UploadedAt, UploadedBy: nullableUUID(d.UploadedBy)}
	}
	return out
}

func categories(in []string) []guichet.Category {
	out := make([]guichet.Category, len(in))
	for i, c := range in {
		out[i] = guichet.Category(c)
	}
	return out
}

// dateOf returns a nullable date as a time: nil when absent or null.
func dateOf(n nullable.Nullable[openapi_types.Date]) *time.Time {
	if !n.IsSpecified() || n.IsNull() {
		return nil
	}
	t := n.MustGet().Time
	return &t
}

// ListIntervenantMandates lists an intervenant's mandates.
func (s *Server) ListIntervenantMandates(ctx context.Context, r api.ListIntervenantMandatesRequestObject) (api.ListIntervenantMandatesResponseObject, error) {
	p := r.Params
	page, err := s.svc.Intervenants.ListMandates(ctx, r.IntervenantId.String(), guichet.MandateFilter{
		ContactID: uuidString(p.ContactId), OrganisationID: uuidString(p.OrganisationId), Current: p.Current,
		Page: pageRequest(p.Limit, p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.MandatePage{Items: make([]api.Mandate, 0, len(page.Items)), NextCursor: nullableString(page.NextCursor)}
	for _, m := range page.Items {
		out.Items = append(out.Items, mandateDTO(m))
	}
	return api.ListIntervenantMandates200JSONResponse(out), nil
}

// CreateMandate records a mandate.
func (s *Server) CreateMandate(ctx context.Context, r api.CreateMandateRequestObject) (api.CreateMandateResponseObject, error) {
	b := r.Body
	m, err := s.svc.Intervenants.CreateMandate(ctx, r.IntervenantId.String(), guichet.Mandate{
		ContactID: uuidString(b.ContactId), OrganisationID: uuidString(b.OrganisationId),
		Direction: guichet.MandateDirection(b.Direction), ValidFrom: b.ValidFrom.Time, ValidUntil: dateOf(b.ValidUntil),
		Scope: categories(b.Scope), Notes: str(b.Notes)})
	if err != nil {
		return nil, err
	}
	loc := "/mandates/" + m.ID
	return api.CreateMandate201JSONResponse{Body: mandateDTO(m),
		Headers: api.CreateMandate201ResponseHeaders{ETag: etag(m.Version), Location: &loc}}, nil
}

// GetMandate reads a mandate.
func (s *Server) GetMandate(ctx context.Context, r api.GetMandateRequestObject) (api.GetMandateResponseObject, error) {
	m, err := s.svc.Intervenants.GetMandate(ctx, r.MandateId.String())
	if err != nil {
		return nil, err
	}
	return api.GetMandate200JSONResponse{Body: mandateDTO(m), Headers: api.GetMandate200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// UpdateMandate changes a mandate.
func (s *Server) UpdateMandate(ctx context.Context, r api.UpdateMandateRequestObject) (api.UpdateMandateResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	in := guichet.MandateUpdate{Notes: patchString(b.Notes), ValidUntil: dateOf(b.ValidUntil),
		ClearValidUntil: b.ValidUntil.IsSpecified() && b.ValidUntil.IsNull()}
	if b.Direction != nil {
		d := guichet.MandateDirection(*b.Direction)
		in.Direction = &d
	}
	if b.ValidFrom != nil {
		in.ValidFrom = &b.ValidFrom.Time
	}
	if b.Scope != nil {
		scope := categories(*b.Scope)
		in.Scope = &scope
	}
	m, err := s.svc.Intervenants.UpdateMandate(ctx, r.MandateId.String(), version, in)
	if err != nil {
		return nil, err
	}
	return api.UpdateMandate200JSONResponse{Body: mandateDTO(m), Headers: api.UpdateMandate200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// RevokeMandate revokes a mandate.
func (s *Server) RevokeMandate(ctx context.Context, r api.RevokeMandateRequestObject) (api.RevokeMandateResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Intervenants.RevokeMandate(ctx, r.MandateId.String(), version); err != nil {
		return nil, err
	}
	return api.RevokeMandate204Response{}, nil
}

// UploadMandateDocument streams the signed mandate, multipart or raw, to
// the store.
func (s *Server) UploadMandateDocument(ctx context.Context, r api.UploadMandateDocumentRequestObject) (api.UploadMandateDocumentResponseObject, error) {
	filename, body := str(r.Params.Filename), r.Body
	if r.MultipartBody != nil {
		part, err := filePart(r.MultipartBody)
		if err != nil {
			return nil, err
		}
		defer part.Close()
		if filename == "" {
			filename = part.FileName()
		}
		body = part
	}
	if body == nil {
		return nil, guichet.Invalid("file", "send multipart/form-data with a file part, or the raw bytes as application/octet-stream")
	}
	m, err := s.svc.Intervenants.PutMandateDocument(ctx, r.MandateId.String(), filename, body)
	if err != nil {
		return nil, err
	}
	return api.UploadMandateDocument200JSONResponse{Body: mandateDTO(m), Headers: api.UploadMandateDocument200ResponseHeaders{ETag: etag(m.Version)}}, nil
}

// DownloadMandateDocument streams the mandate's document.
func (s *Server) DownloadMandateDocument(ctx context.Context, r api.DownloadMandateDocumentRequestObject) (api.DownloadMandateDocumentResponseObject, error) {
	d, rc, err := s.svc.Intervenants.OpenMandateDocument(ctx, r.MandateId.String())
	if err != nil {
		return nil, err
	}
	return fileDownload{name: d.Filename, contentType: d.ContentType, size: d.Size, sha256: d.SHA256, rc: rc}, nil
}
