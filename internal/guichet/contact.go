package guichet

import (
	"context"
	"time"
)

// Organisation is a structure our correspondents belong to.
type Organisation struct {
	ID               string    `json:"id,omitempty"`
	Name             string    `json:"name,omitempty"`
	Email            string    `json:"email,omitempty"`
	Phone            string    `json:"phone,omitempty"`
	Address          string    `json:"address,omitempty"`
	Notes            string    `json:"notes,omitempty"`
	RegisteredClient bool      `json:"registered_client"`
	Version          int       `json:"version,omitempty"`
	CreatedAt        time.Time `json:"created_at,omitempty"`
	UpdatedAt        time.Time `json:"updated_at,omitempty"`
}

// OrganisationUpdate holds the fields to change; nil leaves a field as it
// is and a pointer to "" clears an optional one.
type OrganisationUpdate struct {
	Name             *string
	Email            *string
	Phone            *string
	Address          *string
	Notes            *string
	RegisteredClient *bool
}

// Contact is a correspondent: "qui, de quelle structure".
type Contact struct {
	ID               string    `json:"id,omitempty"`
	FirstName        string    `json:"first_name,omitempty"`
	LastName         string    `json:"last_name,omitempty"`
	Email            string    `json:"email,omitempty"`
	Phone            string    `json:"phone,omitempty"`
	JobTitle         string    `json:"job_title,omitempty"`
	Notes            string    `json:"notes,omitempty"`
	OrganisationID   string    `json:"organisation_id,omitempty"`
	Individual       bool      `json:"individual"`
	RegisteredClient bool      `json:"registered_client"`
	Version          int       `json:"version,omitempty"`
	CreatedAt        time.Time `json:"created_at,omitempty"`
	UpdatedAt        time.Time `json:"updated_at,omitempty"`
	// EmailBouncedAt: mail to Email came back (a delivery status notification).
	EmailBouncedAt *time.Time
}

// Unidentified reports whether the contact's identity (last name) or
// structure (an organisation, or being a private individual) is unknown.
func (c *Contact) Unidentified() bool {
	return c.LastName == "" || (c.OrganisationID == "" && !c.Individual)
}

// DisplayName is how the contact is named in lists and conflicts.
func (c *Contact) DisplayName() string {
	switch {
	case c.FirstName != "" && c.LastName != "":
		return c.FirstName + " " + c.LastName
	case c.LastName != "":
		return c.LastName
	case c.FirstName != "":
		return c.FirstName
	case c.Email != "":
		return c.Email
	default:
		return c.Phone
	}
}

// ContactUpdate holds the fields to change; nil leaves a field as it is
// and a pointer to "" clears an optional one.
type ContactUpdate struct {
	FirstName        *string
	LastName         *string
	Email            *string
	Phone            *string
	JobTitle         *string
	Notes            *string
	OrganisationID   *string
	Individual       *bool
	RegisteredClient *bool
}

// DuplicateMatch is an existing record that a create looks like.
type DuplicateMatch struct {
	ID        string
	Name      string
	MatchedOn []string // "email", "phone", "name"
}

// Sort orders of contact and organisation lists.
const (
	SortByName      = "name"
	SortByCreatedAt = "created_at"
)

// ContactFilter selects contacts in a list or search.
type ContactFilter struct {
	Query            string
	OrganisationID   string
	RegisteredClient *bool
	Unidentified     *bool
	Sort             string
	Page             PageRequest
}

// OrganisationFilter selects organisations in a list or search.
type OrganisationFilter struct {
	Query            string
	RegisteredClient *bool
	Sort             string
	Page             PageRequest
}

// ContactService manages organisations and contacts.
type ContactService interface {
	CreateOrganisation(ctx context.Context, in Organisation) (Organisation, error)
	GetOrganisation(ctx context.Context, id string) (Organisation, error)
	ListOrganisations(ctx context.Context, f OrganisationFilter) (Page[Organisation], error)
	UpdateOrganisation(ctx context.Context, id string, ifMatch int, in OrganisationUpdate) (Organisation, error)
	DeleteOrganisation(ctx context.Context, id string, ifMatch int) error

	// CreateContact refuses a likely duplicate with EDUPLICATE listing the
	// matches, unless allowDuplicate.
	CreateContact(ctx context.Context, in Contact, allowDuplicate bool) (Contact, error)
	GetContact(ctx context.Context, id string) (Contact, error)
	ListContacts(ctx context.Context, f ContactFilter) (Page[Contact], error)
	UpdateContact(ctx context.Context, id string, ifMatch int, in ContactUpdate) (Contact, error)
	DeleteContact(ctx context.Context, id string, ifMatch int) error
}
