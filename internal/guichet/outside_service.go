package guichet

import (
	"context"
	"time"
)

// OutsideService is an entry of the directory of outside services people
// are oriented to ("annuaire des services du territoire").
type OutsideService struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Domain    string    `json:"domain"` // "logement", "juridique", "social"…
	Address   string    `json:"address,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Email     string    `json:"email,omitempty"`
	Website   string    `json:"website,omitempty"`
	Hours     string    `json:"hours,omitempty"`
	Notes     string    `json:"notes,omitempty"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// OutsideServiceUpdate holds the fields to change; nil leaves a field as
// it is and a pointer to "" clears an optional one.
type OutsideServiceUpdate struct {
	Name, Domain, Address, Phone, Email, Website, Hours, Notes *string
}

// OutsideServiceFilter selects directory entries: Query matches word
// prefixes of the name, domain and address; Domain keeps one domain.
type OutsideServiceFilter struct {
	Query, Domain string
	Page          PageRequest
}

// DirectoryService keeps the directory of outside services.
type DirectoryService interface {
	CreateOutsideService(ctx context.Context, in OutsideService) (OutsideService, error)
	GetOutsideService(ctx context.Context, id string) (OutsideService, error)
	ListOutsideServices(ctx context.Context, f OutsideServiceFilter) (Page[OutsideService], error)
	UpdateOutsideService(ctx context.Context, id string, ifMatch int, in OutsideServiceUpdate) (OutsideService, error)
	DeleteOutsideService(ctx context.Context, id string, ifMatch int) error
}
