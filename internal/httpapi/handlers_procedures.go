package httpapi

import (
	"context"
	"encoding/json"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/procedure"
)

func procedureVersionDTO(v guichet.ProcedureVersion) (api.ProcedureVersion, error) {
	out := api.ProcedureVersion{Code: v.Code, Version: v.Version, Title: v.Title, Status: api.ProcedureVersionStatus(v.Status),
		ChangeNote: optString(v.ChangeNote), CreatedBy: nullableUUID(v.CreatedBy), CreatedAt: v.CreatedAt,
		PublishedBy: nullableUUID(v.PublishedBy), PublishedAt: nullableTime(v.PublishedAt), Approvals: []api.ProcedureApproval{}}
	if err := json.Unmarshal(v.Definition, &out.Definition); err != nil {
		return out, err
	}
	for _, a := range v.Approvals {
		out.Approvals = append(out.Approvals, api.ProcedureApproval{AgentId: parseUUID(a.AgentID), Comment: optString(a.Comment), ApprovedAt: a.ApprovedAt})
	}
	return out, nil
}

// ListProcedures lists procedures and their versions.
func (s *Server) ListProcedures(ctx context.Context, _ api.ListProceduresRequestObject) (api.ListProceduresResponseObject, error) {
	list, err := s.svc.Procedures.ListProcedures(ctx)
	if err != nil {
		return nil, err
	}
	out := api.ProcedureList{Items: make([]api.ProcedureSummary, 0, len(list))}
	for _, p := range list {
		sum := api.ProcedureSummary{Code: p.Code, Title: p.Title, CurrentVersion: nullableString(p.CurrentVersion)}
		for _, v := range p.Versions {
			sum.Versions = append(sum.Versions, api.ProcedureVersionSummary{Version: v.Version,
				Status: api.ProcedureVersionSummaryStatus(v.Status), ChangeNote: optString(v.ChangeNote),
				CreatedAt: v.CreatedAt, PublishedAt: nullableTime(v.PublishedAt)})
		}
		out.Items = append(out.Items, sum)
	}
	return api.ListProcedures200JSONResponse(out), nil
}

// CreateProcedureVersion proposes a draft.
func (s *Server) CreateProcedureVersion(ctx context.Context, r api.CreateProcedureVersionRequestObject) (api.CreateProcedureVersionResponseObject, error) {
	b, err := json.Marshal(r.Body.Definition)
	if err != nil {
		return nil, err
	}
	def, err := procedure.Parse(b)
	if err != nil {
		return nil, guichet.Invalid("definition", err.Error())
	}
	v, err := s.svc.Procedures.CreateProcedureVersion(ctx, def, r.Body.ChangeNote)
	if err != nil {
		return nil, err
	}
	dto, err := procedureVersionDTO(v)
	if err != nil {
		return nil, err
	}
	loc := "/procedures/" + v.Code + "/versions/" + v.Version
	return api.CreateProcedureVersion201JSONResponse{Body: dto, Headers: api.CreateProcedureVersion201ResponseHeaders{Location: &loc}}, nil
}

// GetProcedureVersion reads one version.
func (s *Server) GetProcedureVersion(ctx context.Context, r api.GetProcedureVersionRequestObject) (api.GetProcedureVersionResponseObject, error) {
	v, err := s.svc.Procedures.GetProcedureVersion(ctx, r.Code, r.Version)
	if err != nil {
		return nil, err
	}
	dto, err := procedureVersionDTO(v)
	return api.GetProcedureVersion200JSONResponse(dto), err
}

// ApproveProcedureVersion records the caller's approval.
func (s *Server) ApproveProcedureVersion(ctx context.Context, r api.ApproveProcedureVersionRequestObject) (api.ApproveProcedureVersionResponseObject, error) {
	v, err := s.svc.Procedures.ApproveProcedureVersion(ctx, r.Code, r.Version, str(r.Body.Comment))
	if err != nil {
		return nil, err
	}
	dto, err := procedureVersionDTO(v)
	return api.ApproveProcedureVersion201JSONResponse(dto), err
}

// PublishProcedureVersion publishes a draft.
func (s *Server) PublishProcedureVersion(ctx context.Context, r api.PublishProcedureVersionRequestObject) (api.PublishProcedureVersionResponseObject, error) {
	v, err := s.svc.Procedures.PublishProcedureVersion(ctx, r.Code, r.Version)
	if err != nil {
		return nil, err
	}
	dto, err := procedureVersionDTO(v)
	return api.PublishProcedureVersion200JSONResponse(dto), err
}
