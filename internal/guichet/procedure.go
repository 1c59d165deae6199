package guichet

import (
	"encoding/json"
	"time"
)

// Procedure version statuses.
const (
	ProcedureDraft     = "draft"
	ProcedurePublished = "published" // the one new tickets follow
	ProcedureRetired   = "retired"   // replaced; running tickets keep it
)

// ProcedureVersion is one stored version of a procedure definition
// (Definition is procedure.Definition as JSON).
type ProcedureVersion struct {
	ID, Code, Version, Title, Status, ChangeNote string
	Definition                                   json.RawMessage
	Approvals                                    []ProcedureApproval
	CreatedBy                                    string
	CreatedAt                                    time.Time
	PublishedBy                                  string
	PublishedAt                                  *time.Time
}

// ProcedureApproval records that an agent read and approved a version.
type ProcedureApproval struct {
	AgentID, Comment string
	ApprovedAt       time.Time
}

// ProcedureSummary lists a procedure's versions, newest first.
type ProcedureSummary struct {
	Code, Title, CurrentVersion string
	Versions                    []ProcedureVersion // without definitions nor approvals
}
