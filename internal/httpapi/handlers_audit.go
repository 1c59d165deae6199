package httpapi

import (
	"context"
	"encoding/json"

	"github.com/oapi-codegen/nullable"

	"github.com/guichet/guichet/api"
	"github.com/guichet/guichet/internal/guichet"
)

func auditValue(raw json.RawMessage) nullable.Nullable[map[string]any] {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nullable.NewNullNullable[map[string]any]()
	}
	return nullable.NewNullableWithValue(m)
}

// ListAuditEvents reads the audit trail.
func (s *Server) ListAuditEvents(ctx context.Context, r api.ListAuditEventsRequestObject) (api.ListAuditEventsResponseObject, error) {
	p := r.Params
	f := guichet.AuditFilter{EntityType: enumString(p.EntityType), Action: enumString(p.Action), Page: pageRequest(p.Limit, p.Cursor)}
	if p.ActorId != nil {
		f.ActorID = p.ActorId.String()
	}
	if p.EntityId != nil {
		f.EntityID = p.EntityId.String()
	}
	if p.Since != nil {
		f.Since = *p.Since
	}
	if p.Until != nil {
		f.Until = *p.Until
	}
	page, err := s.svc.Audit.ListAuditEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	return api.ListAuditEvents200JSONResponse(auditPageDTO(page)), nil
}

func auditPageDTO(page guichet.Page[guichet.AuditEvent]) api.AuditEventPage {
	out := api.AuditEventPage{Items: []api.AuditEvent{}, NextCursor: nullableString(page.NextCursor)}
	for _, e := range page.Items {
		rid := e.RequestID
		out.Items = append(out.Items, api.AuditEvent{Id: parseUUID(e.ID), At: e.At, ActorId: nullableUUID(e.ActorID),
			ApiTokenId: nullableUUID(e.APITokenID), Action: e.Action, EntityType: e.EntityType,
			EntityId: nullableUUID(e.EntityID), Before: auditValue(e.Before), After: auditValue(e.After), RequestId: &rid})
	}
	return out
}
