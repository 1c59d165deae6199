package guichet

import (
	"context"
	"slices"
	"strings"
)

// Scope narrows what an API token may do: "family:access".
type Scope string

const (
	ScopeAgentsRead    Scope = "agents:read"
	ScopeAgentsWrite   Scope = "agents:write"
	ScopeContactsRead  Scope = "contacts:read"
	ScopeContactsWrite Scope = "contacts:write"
	ScopeAuditRead     Scope = "audit:read"
	ScopeTicketsRead   Scope = "tickets:read"
	ScopeTicketsWrite  Scope = "tickets:write"
	// ScopeTicketsInternal shows internal notes; it implies nothing else.
	ScopeTicketsInternal Scope = "tickets:internal"
	ScopeProceduresWrite Scope = "procedures:write"
	ScopeSettingsWrite   Scope = "settings:write"
	// Reception books, messages, appointments and reception settings.
	ScopeReceptionRead  Scope = "reception:read"
	ScopeReceptionWrite Scope = "reception:write"
	// Third parties, their agreement and mandates.
	ScopeIntervenantsRead  Scope = "intervenants:read"
	ScopeIntervenantsWrite Scope = "intervenants:write"
)

// Scopes lists every scope, in the contract's order.
var Scopes = []Scope{ScopeAgentsRead, ScopeAgentsWrite, ScopeContactsRead, ScopeContactsWrite, ScopeAuditRead,
	ScopeTicketsRead, ScopeTicketsWrite, ScopeTicketsInternal, ScopeProceduresWrite, ScopeSettingsWrite,
	ScopeReceptionRead, ScopeReceptionWrite, ScopeIntervenantsRead, ScopeIntervenantsWrite,
	ScopeMailboxesRead, ScopeMailboxesWrite}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(Scopes, s) }

// Caller is who makes a request: an agent, through a session or an API
// token. A zero Caller is the system itself (jobs, start-up).
type Caller struct {
	Agent Agent
	// TokenID is the API token used, "" for a session.
	TokenID string
	// Scopes of the API token; nil for a session, which has all its
	// agent's rights.
	Scopes    []Scope
	RequestID string
	IP        string
}

// IsSystem reports whether the caller is Guichet itself.
func (c Caller) IsSystem() bool { return c.Agent.ID == "" }

// Allows reports whether the caller's token lets it use scope. A session
// allows everything its roles allow; a "write" scope implies "read".
func (c Caller) Allows(scope Scope) bool {
	if c.Scopes == nil || c.IsSystem() {
		return true
	}
	if slices.Contains(c.Scopes, scope) {
		return true
	}
	family, access, _ := strings.Cut(string(scope), ":")
	return access == "read" && slices.Contains(c.Scopes, Scope(family+":write"))
}

// Require returns EFORBIDDEN unless the caller holds one of roles and its
// token allows scope. The system caller is always allowed.
func (c Caller) Require(scope Scope, roles ...Role) error {
	if c.IsSystem() {
		return nil
	}
	if !c.Allows(scope) {
		return Errorf(EFORBIDDEN, "this API token lacks the scope %s", scope)
	}
	if len(roles) > 0 && !c.Agent.HasRole(roles...) {
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		return Errorf(EFORBIDDEN, "this requires one of the roles: %s", strings.Join(names, ", "))
	}
	return nil
}

type callerKey struct{}

// WithCaller returns a context carrying the caller.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller in ctx, or the system caller when none.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}
