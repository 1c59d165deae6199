package guichet

import (
	"context"
	"time"
)

// TokenPair is what a login or a refresh returns.
type TokenPair struct {
	AccessToken  string
	ExpiresIn    time.Duration
	RefreshToken string
}

// APIToken is a long-lived credential for scripts, bound to an agent; its
// secret is shown once, at creation, and stored only as a hash.
type APIToken struct {
	ID        string     `json:"id,omitempty"`
	AgentID   string     `json:"agent_id,omitempty"`
	Name      string     `json:"name,omitempty"`
	Scopes    []Scope    `json:"scopes,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	CreatedAt time.Time  `json:"created_at,omitempty"`
}

// AuthService logs agents in and out and authenticates requests.
type AuthService interface {
	// Login checks a password; failures slow down per (username, ip) with
	// ERATELIMITED carrying RetryAfter.
	Login(ctx context.Context, username, password, ip string) (TokenPair, error)
	// Refresh rotates a refresh token; a spent one revokes its family.
	Refresh(ctx context.Context, refreshToken string) (TokenPair, error)
	Logout(ctx context.Context, refreshToken string) error
	// Authenticate turns a bearer credential into a caller, or EUNAUTHORIZED.
	Authenticate(ctx context.Context, bearer string) (Caller, error)

	CreateAPIToken(ctx context.Context, in APIToken) (APIToken, string, error)
	ListAPITokens(ctx context.Context, agentID string, p PageRequest) (Page[APIToken], error)
	RevokeAPIToken(ctx context.Context, id string) error
}
