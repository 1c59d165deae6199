package guichet

import (
	"context"
	"io"
	"slices"
	"time"
)

// IntervenantKind is what a third party is (procedure 20 04 01 03,
// "Définitions des intervenants").
type IntervenantKind string

const (
	KindHuissier            IntervenantKind = "huissier"
	KindAvocat              IntervenantKind = "avocat"
	KindAdministrateur      IntervenantKind = "administrateur"
	KindNotaire             IntervenantKind = "notaire"
	KindIEDOM               IntervenantKind = "iedom"
	KindImpots              IntervenantKind = "impots"
	KindAssurance           IntervenantKind = "assurance"
	KindProtectionJuridique IntervenantKind = "protection_juridique"
	KindConfrere            IntervenantKind = "confrere"
	KindCAF                 IntervenantKind = "caf"
	KindSecuriteSociale     IntervenantKind = "securite_sociale"
	KindComptable           IntervenantKind = "comptable"
	KindArtisan             IntervenantKind = "artisan"
	KindSociete             IntervenantKind = "societe"
	KindExpert              IntervenantKind = "expert"
	KindPublicite           IntervenantKind = "publicite"
	KindOther               IntervenantKind = "other"
)

// IntervenantCategory groups kinds: it decides the preferred channel and
// whether an agreement is needed.
type IntervenantCategory string

const (
	CategoryAdministrativeLegal IntervenantCategory = "administrative_legal"
	CategoryTechnical           IntervenantCategory = "technical"
	CategoryCommercial          IntervenantCategory = "commercial"
)

// kindCategories lists, for each kind, the categories it may belong to;
// the first is its default. The procedure names confrères under both
// administrative/legal and commercial.
var kindCategories = map[IntervenantKind][]IntervenantCategory{
	KindHuissier: {CategoryAdministrativeLegal}, KindAvocat: {CategoryAdministrativeLegal},
	KindAdministrateur: {CategoryAdministrativeLegal}, KindNotaire: {CategoryAdministrativeLegal},
	KindIEDOM: {CategoryAdministrativeLegal}, KindImpots: {CategoryAdministrativeLegal},
	KindAssurance: {CategoryAdministrativeLegal}, KindProtectionJuridique: {CategoryAdministrativeLegal},
	KindCAF: {CategoryAdministrativeLegal}, KindSecuriteSociale: {CategoryAdministrativeLegal},
	KindComptable: {CategoryAdministrativeLegal},
	KindArtisan:   {CategoryTechnical}, KindSociete: {CategoryTechnical}, KindExpert: {CategoryTechnical},
	KindPublicite: {CategoryCommercial},
	KindConfrere:  {CategoryAdministrativeLegal, CategoryCommercial},
	KindOther:     {CategoryAdministrativeLegal, CategoryCommercial},
}

// Valid reports whether k is a known kind.
func (k IntervenantKind) Valid() bool { _, ok := kindCategories[k]; return ok }

// Categories returns the categories k may belong to, its default first.
func (k IntervenantKind) Categories() []IntervenantCategory { return kindCategories[k] }

// Allows reports whether an intervenant of kind k may be in category c.
func (k IntervenantKind) Allows(c IntervenantCategory) bool {
	return slices.Contains(kindCategories[k], c)
}

// ActsByLaw reports the authorities that need no mandate to act on a
// client's file (huissier, impôts, CAF, sécurité sociale); their requests
// go to the legal role.
func (k IntervenantKind) ActsByLaw() bool {
	return k == KindHuissier || k == KindImpots || k == KindCAF || k == KindSecuriteSociale
}

// Valid reports whether c is a known category.
func (c IntervenantCategory) Valid() bool {
	return c == CategoryAdministrativeLegal || c == CategoryTechnical || c == CategoryCommercial
}

// IntervenantChannel is how to reach an intervenant first.
type IntervenantChannel string

const (
	ChannelPrefLetter  IntervenantChannel = "letter"
	ChannelPrefEmail   IntervenantChannel = "email"
	ChannelPrefRedmine IntervenantChannel = "redmine"
	ChannelPrefPhone   IntervenantChannel = "phone"
)

// Valid reports whether c is a known channel.
func (c IntervenantChannel) Valid() bool {
	return c == ChannelPrefLetter || c == ChannelPrefEmail || c == ChannelPrefRedmine || c == ChannelPrefPhone
}

// DefaultChannel is the category's preferred channel: "privilégier le
// courrier/mail" for administrative and legal contacts, Redmine for
// technical ones, email for commercial ones.
func DefaultChannel(c IntervenantCategory) IntervenantChannel {
	switch c {
	case CategoryTechnical:
		return ChannelPrefRedmine
	case CategoryCommercial:
		return ChannelPrefEmail
	}
	return ChannelPrefLetter
}

// AgreementStatus is where a technical intervenant's agreement by the
// direction stands.
type AgreementStatus string

const (
	AgreementNotRequired AgreementStatus = "not_required"
	AgreementPending     AgreementStatus = "pending"
	AgreementApproved    AgreementStatus = "approved"
	AgreementRejected    AgreementStatus = "rejected"
)

// Valid reports whether s is a known status.
func (s AgreementStatus) Valid() bool {
	return s == AgreementNotRequired || s == AgreementPending || s == AgreementApproved || s == AgreementRejected
}

// InitialAgreement is the agreement an intervenant of category c starts
// with: technical ones wait for the direction.
func InitialAgreement(c IntervenantCategory) AgreementStatus {
	if c == CategoryTechnical {
		return AgreementPending
	}
	return AgreementNotRequired
}

// Agreement is the direction's decision on a technical intervenant.
type Agreement struct {
	Status    AgreementStatus `json:"status"`
	DecidedBy string          `json:"decided_by,omitempty"`
	DecidedAt *time.Time      `json:"decided_at,omitempty"`
	Reason    string          `json:"reason,omitempty"`
}

// Intervenant is a third party: "des personnes extérieures au mandat".
type Intervenant struct {
	ID               string              `json:"id"`
	Name             string              `json:"name"`
	Structure        string              `json:"structure,omitempty"`
	Kind             IntervenantKind     `json:"kind"`
	Category         IntervenantCategory `json:"category"`
	PreferredChannel IntervenantChannel  `json:"preferred_channel"`
	Email            string              `json:"email,omitempty"`
	Phone            string              `json:"phone,omitempty"`
	Address          string              `json:"address,omitempty"`
	Notes            string              `json:"notes,omitempty"`
	Agreement        Agreement           `json:"agreement"`
	Version          int                 `json:"version"`
	CreatedAt        time.Time           `json:"created_at"`
	UpdatedAt        time.Time           `json:"updated_at"`
}

// IntervenantUpdate holds the fields to change; nil leaves a field as it
// is and a pointer to "" clears an optional one.
type IntervenantUpdate struct {
	Name, Structure  *string
	Kind             *IntervenantKind
	Category         *IntervenantCategory
	PreferredChannel *IntervenantChannel
	Email, Phone     *string
	Address, Notes   *string
}

// IntervenantFilter selects intervenants; zero fields do not filter.
type IntervenantFilter struct {
	Query     string
	Category  IntervenantCategory
	Kind      IntervenantKind
	Agreement AgreementStatus
	Sort      string // SortByName (default) or SortByCreatedAt
	Page      PageRequest
}

// AgreementDecision is a manager's approval or rejection.
type AgreementDecision struct {
	Approve bool
	Reason  string
}

// IntervenantService manages intervenants, their agreement, mandates and
// what is shared with them.
type IntervenantService interface {
	CreateIntervenant(ctx context.Context, in Intervenant) (Intervenant, error)
	GetIntervenant(ctx context.Context, id string) (Intervenant, error)
	ListIntervenants(ctx context.Context, f IntervenantFilter) (Page[Intervenant], error)
	UpdateIntervenant(ctx context.Context, id string, ifMatch int, in IntervenantUpdate) (Intervenant, error)
	DeleteIntervenant(ctx context.Context, id string, ifMatch int) error
	// DecideAgreement: managers only (EFORBIDDEN); ECONFLICT once decided
	// or when none is needed; EINVALID for a rejection without a reason.
	DecideAgreement(ctx context.Context, id string, d AgreementDecision) (Intervenant, error)

	CreateMandate(ctx context.Context, intervenantID string, in Mandate) (Mandate, error)
	GetMandate(ctx context.Context, id string) (Mandate, error)
	ListMandates(ctx context.Context, intervenantID string, f MandateFilter) (Page[Mandate], error)
	UpdateMandate(ctx context.Context, id string, ifMatch int, in MandateUpdate) (Mandate, error)
	RevokeMandate(ctx context.Context, id string, ifMatch int) error
	PutMandateDocument(ctx context.Context, id, filename string, r io.Reader) (Mandate, error)
	OpenMandateDocument(ctx context.Context, id string) (MandateDocument, io.ReadCloser, error)
	// MandateCheckFor tells whether the intervenant may act on the
	// client's file for category at the given moment (now when nil).
	MandateCheckFor(ctx context.Context, intervenantID, contactID, organisationID string, category Category, at *time.Time) (MandateCheck, error)

	CreateDisclosure(ctx context.Context, intervenantID string, in Disclosure) (Disclosure, error)
	ListDisclosures(ctx context.Context, intervenantID string, p PageRequest) (Page[Disclosure], error)
}
