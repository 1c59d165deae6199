package guichet

import (
	"context"
	"encoding/json"
	"time"
)

// AuditEvent records one write: who, what, when, before and after.
// Before and After never hold secrets.
type AuditEvent struct {
	ID         string
	At         time.Time
	ActorID    string
	APITokenID string
	Action     string
	EntityType string
	EntityID   string
	Before     json.RawMessage
	After      json.RawMessage
	RequestID  string
}

// AuditFilter selects audit events; zero fields do not filter.
type AuditFilter struct {
	ActorID    string
	EntityType string
	EntityID   string
	Action     string
	Since      time.Time
	Until      time.Time
	Page       PageRequest
}

// AuditService reads the audit trail.
type AuditService interface {
	ListAuditEvents(ctx context.Context, f AuditFilter) (Page[AuditEvent], error)
}
