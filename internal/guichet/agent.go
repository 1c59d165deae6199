package guichet

import (
	"context"
	"slices"
	"time"
)

// Role is a set of rights an agent holds; an agent may hold several.
type Role string

const (
	RoleAgent      Role = "agent"      // level 1
	RoleSupervisor Role = "supervisor" // level 2, "encadrant"
	RoleManager    Role = "manager"    // level 3, gérant / direction
	RoleAccountant Role = "accountant"
	RoleLegal      Role = "legal" // service juridique
	RoleDeveloper  Role = "developer"
	RoleAdmin      Role = "admin"
)

// Roles lists every role, in the contract's order.
var Roles = []Role{RoleAgent, RoleSupervisor, RoleManager, RoleAccountant, RoleLegal, RoleDeveloper, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Level returns the escalation level of a set of roles: 3 for a manager, 2
// for a supervisor, 1 otherwise.
func Level(roles []Role) int {
	switch {
	case slices.Contains(roles, RoleManager):
		return 3
	case slices.Contains(roles, RoleSupervisor):
		return 2
	default:
		return 1
	}
}

// Agent is a person who works in Guichet.
type Agent struct {
	ID           string
	Username     string
	DisplayName  string
	Email        string
	Roles        []Role
	SupervisorID string // "" when none
	Active       bool
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// HasRole reports whether the agent holds any of roles.
func (a *Agent) HasRole(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(a.Roles, r) {
			return true
		}
	}
	return false
}

// AgentCreate is what an admin gives to create an agent.
type AgentCreate struct {
	Username     string
	DisplayName  string
	Email        string
	Roles        []Role
	Password     string
	SupervisorID string
}

// AgentUpdate holds the fields to change; nil leaves a field as it is.
// For nullable fields a pointer to "" clears the value.
type AgentUpdate struct {
	DisplayName  *string
	Email        *string
	Roles        []Role
	SupervisorID *string
	Active       *bool
	Password     *string
}

// AgentFilter selects agents in a list.
type AgentFilter struct {
	Role   Role
	Active *bool
	Page   PageRequest
}

// Absence is a declared period when an agent is away.
type Absence struct {
	ID        string    `json:"id,omitempty"`
	AgentID   string    `json:"agent_id,omitempty"`
	StartsAt  time.Time `json:"starts_at,omitempty"`
	EndsAt    time.Time `json:"ends_at,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at,omitempty"`
}

// AgentService manages agents and their absences.
type AgentService interface {
	CreateAgent(ctx context.Context, in AgentCreate) (Agent, error)
	GetAgent(ctx context.Context, id string) (Agent, error)
	ListAgents(ctx context.Context, f AgentFilter) (Page[Agent], error)
	UpdateAgent(ctx context.Context, id string, ifMatch int, in AgentUpdate) (Agent, error)
	ChangePassword(ctx context.Context, current, next string) error
	CreateAbsence(ctx context.Context, agentID string, in Absence) (Absence, error)
	ListAbsences(ctx context.Context, agentID string, currentOnly bool) ([]Absence, error)
	DeleteAbsence(ctx context.Context, agentID, absenceID string) error
}
