package httpapi

import (
	"context"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func agentDTO(a guichet.Agent) api.Agent {
	out := api.Agent{Id: parseUUID(a.ID), Username: a.Username, DisplayName: a.DisplayName,
		Roles: []api.Role{}, Level: guichet.Level(a.Roles), SupervisorId: nullableUUID(a.SupervisorID),
		Active: a.Active, Version: a.Version, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if a.Email != "" {
		e := openapi_types.Email(a.Email)
		out.Email = &e
	}
	for _, r := range a.Roles {
		out.Roles = append(out.Roles, api.Role(r))
	}
	return out
}

func domainRoles(roles []api.Role) []guichet.Role {
	out := make([]guichet.Role, len(roles))
	for i, r := range roles {
		out[i] = guichet.Role(r)
	}
	return out
}

// ListAgents lists agents.
func (s *Server) ListAgents(ctx context.Context, r api.ListAgentsRequestObject) (api.ListAgentsResponseObject, error) {
	f := guichet.AgentFilter{Active: r.Params.Active, Page: pageRequest(r.Params.Limit, r.Params.Cursor)}
	if r.Params.Role != nil {
		f.Role = guichet.Role(*r.Params.Role)
	}
	page, err := s.svc.Agents.ListAgents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := api.AgentPage{Items: []api.Agent{}, NextCursor: nullableString(page.NextCursor)}
	for _, a := range page.Items {
		out.Items = append(out.Items, agentDTO(a))
	}
	return api.ListAgents200JSONResponse(out), nil
}

// CreateAgent creates an agent.
func (s *Server) CreateAgent(ctx context.Context, r api.CreateAgentRequestObject) (api.CreateAgentResponseObject, error) {
	in := guichet.AgentCreate{Username: r.Body.Username, DisplayName: r.Body.DisplayName,
		Roles: domainRoles(r.Body.Roles), Password: r.Body.Password}
	if r.Body.Email != nil {
		in.Email = string(*r.Body.Email)
	}
	if r.Body.SupervisorId != nil {
		in.SupervisorID = r.Body.SupervisorId.String()
	}
	a, err := s.svc.Agents.CreateAgent(ctx, in)
	if err != nil {
		return nil, err
	}
	return api.CreateAgent201JSONResponse{Body: agentDTO(a), Headers: api.CreateAgent201ResponseHeaders{ETag: etag(a.Version)}}, nil
}

// GetAgent reads an agent.
func (s *Server) GetAgent(ctx context.Context, r api.GetAgentRequestObject) (api.GetAgentResponseObject, error) {
	a, err := s.svc.Agents.GetAgent(ctx, r.AgentId.String())
	if err != nil {
		return nil, err
	}
	return api.GetAgent200JSONResponse{Body: agentDTO(a), Headers: api.GetAgent200ResponseHeaders{ETag: etag(a.Version)}}, nil
}

// UpdateAgent changes an agent.
func (s *Server) UpdateAgent(ctx context.Context, r api.UpdateAgentRequestObject) (api.UpdateAgentResponseObject, error) {
	version, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := r.Body
	in := guichet.AgentUpdate{DisplayName: b.DisplayName, Active: b.Active, Password: b.Password,
		SupervisorID: patchUUID(b.SupervisorId)}
	if b.Email.IsSpecified() {
		e := ""
		if !b.Email.IsNull() {
			e = string(b.Email.MustGet())
		}
		in.Email = &e
	}
	if b.Roles != nil {
		in.Roles = domainRoles(*b.Roles)
	}
	a, err := s.svc.Agents.UpdateAgent(ctx, r.AgentId.String(), version, in)
	if err != nil {
		return nil, err
	}
	return api.UpdateAgent200JSONResponse{Body: agentDTO(a), Headers: api.UpdateAgent200ResponseHeaders{ETag: etag(a.Version)}}, nil
}

func absenceDTO(a guichet.Absence) api.Absence {
	return api.Absence{Id: parseUUID(a.ID), AgentId: parseUUID(a.AgentID), StartsAt: a.StartsAt,
		EndsAt: a.EndsAt, Reason: optString(a.Reason), CreatedAt: a.CreatedAt}
}

// ListAbsences lists an agent's absences.
func (s *Server) ListAbsences(ctx context.Context, r api.ListAbsencesRequestObject) (api.ListAbsencesResponseObject, error) {
	list, err := s.svc.Agents.ListAbsences(ctx, r.AgentId.String(), boolOr(r.Params.Current, false))
	if err != nil {
		return nil, err
	}
	out := api.AbsenceList{Items: []api.Absence{}}
	for _, a := range list {
		out.Items = append(out.Items, absenceDTO(a))
	}
	return api.ListAbsences200JSONResponse(out), nil
}

// CreateAbsence declares an absence.
func (s *Server) CreateAbsence(ctx context.Context, r api.CreateAbsenceRequestObject) (api.CreateAbsenceResponseObject, error) {
	a, err := s.svc.Agents.CreateAbsence(ctx, r.AgentId.String(),
		guichet.Absence{StartsAt: r.Body.StartsAt, EndsAt: r.Body.EndsAt, Reason: str(r.Body.Reason)})
	if err != nil {
		return nil, err
	}
	return api.CreateAbsence201JSONResponse(absenceDTO(a)), nil
}

// DeleteAbsence withdraws an absence.
func (s *Server) DeleteAbsence(ctx context.Context, r api.DeleteAbsenceRequestObject) (api.DeleteAbsenceResponseObject, error) {
	if err := s.svc.Agents.DeleteAbsence(ctx, r.AgentId.String(), r.AbsenceId.String()); err != nil {
		return nil, err
	}
	return api.DeleteAbsence204Response{}, nil
}
