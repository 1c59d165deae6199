package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/procedure"
)

type procedureRow struct {
	bun.BaseModel `bun:"table:procedure_versions,alias:pv"`

	ID          string     `bun:"id,pk"`
	Code        string     `bun:"code"`
	Version     string     `bun:"version"`
	Title       string     `bun:"title"`
	Definition  string     `bun:"definition"`
	Status      string     `bun:"status"`
	ChangeNote  string     `bun:"change_note"`
	CreatedBy   *string    `bun:"created_by"`
	CreatedAt   time.Time  `bun:"created_at"`
	PublishedBy *string    `bun:"published_by"`
	PublishedAt *time.Time `bun:"published_at"`
}

func (r *procedureRow) domain() guichet.ProcedureVersion {
	return guichet.ProcedureVersion{ID: r.ID, Code: r.Code, Version: r.Version, Title: r.Title, Status: r.Status,
		ChangeNote: r.ChangeNote, Definition: json.RawMessage(r.Definition), CreatedBy: deref(r.CreatedBy),
		CreatedAt: r.CreatedAt, PublishedBy: deref(r.PublishedBy), PublishedAt: r.PublishedAt}
}

type approvalRow struct {
	bun.BaseModel `bun:"table:procedure_approvals"`

	VersionID  string    `bun:"version_id,pk"`
	AgentID    string    `bun:"agent_id,pk"`
	Comment    string    `bun:"comment"`
	ApprovedAt time.Time `bun:"approved_at"`
}

// Seed stores the default settings and the shipped procedures. Safe to run
// on every start and from several replicas at once.
func (s *Store) Seed(ctx context.Context) error {
	if err := s.seedSettings(ctx); err != nil {
		return err
	}
	return s.seedProcedures(ctx)
}

// seedProcedures stores the shipped definitions that are not stored yet;
// each is published when its code has no published version.
func (s *Store) seedProcedures(ctx context.Context) error {
	defs, err := procedure.Shipped()
	if err != nil {
		return err
	}
	for _, d := range defs {
		err := s.inTx(ctx, func(tx *Tx) error {
			exists, err := tx.NewSelect().Model((*procedureRow)(nil)).Where("code = ? AND version = ?", d.Code, d.Version).Exists(ctx)
			if err != nil || exists {
				return err
			}
			_, err = publishedVersion(ctx, tx, d.Code)
			status := guichet.ProcedurePublished
			if err == nil {
				status = guichet.ProcedureDraft
			}
			row, err := newProcedureRow(tx, d, status, "Version livrée avec Guichet")
			if err != nil {
				return err
			}
			if status == guichet.ProcedurePublished {
				row.PublishedAt = &tx.Now
			}
			_, err = tx.NewInsert().Model(row).On("CONFLICT DO NOTHING").Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("seed procedure %s %s: %w", d.Code, d.Version, err)
		}
	}
	return nil
}

func newProcedureRow(tx *Tx, d procedure.Definition, status, note string) (*procedureRow, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return &procedureRow{ID: newID(), Code: d.Code, Version: d.Version, Title: d.Title, Definition: string(b),
		Status: status, ChangeNote: note, CreatedAt: tx.Now}, nil
}

// publishedVersion returns the id of the code's published version.
func publishedVersion(ctx context.Context, db bun.IDB, code string) (string, error) {
	var id string
	err := db.NewSelect().Model((*procedureRow)(nil)).Column("id").
		Where("code = ? AND status = ?", code, guichet.ProcedurePublished).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", guichet.Errorf(guichet.ENOTFOUND, "no published version of procedure %q", code)
	}
	return id, err
}

// definition returns the definition of a version, from memory when it was
// read before: a stored version never changes.
func (s *Store) definition(ctx context.Context, db bun.IDB, id string) (*procedure.Definition, error) {
	if d, ok := s.definitions.Load(id); ok {
		return d.(*procedure.Definition), nil
	}
	var text string
	if err := db.NewSelect().Model((*procedureRow)(nil)).Column("definition").Where("id = ?", id).Scan(ctx, &text); err != nil {
		return nil, fmt.Errorf("load procedure %s: %w", id, err)
	}
	d, err := procedure.Parse([]byte(text))
	if err != nil {
		return nil, err
	}
	s.definitions.Store(id, &d)
	return &d, nil
}

// ListProcedures returns every procedure with its versions, newest first.
func (s *Store) ListProcedures(ctx context.Context) ([]guichet.ProcedureSummary, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return nil, err
	}
	var rows []procedureRow
	err := s.db.read.NewSelect().Model(&rows).ExcludeColumn("definition").OrderExpr("code, created_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, wrap("list procedures", err)
	}
	var out []guichet.ProcedureSummary
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Code != r.Code {
			out = append(out, guichet.ProcedureSummary{Code: r.Code, Title: r.Title})
		}
		sum := &out[len(out)-1]
		if r.Status == guichet.ProcedurePublished {
			sum.CurrentVersion, sum.Title = r.Version, r.Title
		}
		sum.Versions = append(sum.Versions, r.domain())
	}
	return out, nil
}

// GetProcedureVersion returns one version with its approvals.
func (s *Store) GetProcedureVersion(ctx context.Context, code, version string) (guichet.ProcedureVersion, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeTicketsRead); err != nil {
		return guichet.ProcedureVersion{}, err
	}
	v, err := loadProcedureVersion(ctx, s.db.read, code, version)
	return v, wrap("get procedure version", err)
}

func loadProcedureVersion(ctx context.Context, db bun.IDB, code, version string) (guichet.ProcedureVersion, error) {
	var row procedureRow
	err := db.NewSelect().Model(&row).Where("code = ? AND version = ?", code, version).Scan(ctx)
	if err != nil {
		return guichet.ProcedureVersion{}, notFoundOr(err, "procedure version")
	}
	var approvals []approvalRow
	if err := db.NewSelect().Model(&approvals).Where("version_id = ?", row.ID).Order("approved_at", "agent_id").Scan(ctx); err != nil {
		return guichet.ProcedureVersion{}, err
	}
	v := row.domain()
	v.Approvals = make([]guichet.ProcedureApproval, len(approvals))
	for i, a := range approvals {
		v.Approvals[i] = guichet.ProcedureApproval{AgentID: a.AgentID, Comment: a.Comment, ApprovedAt: a.ApprovedAt}
	}
	return v, nil
}

// proposers may propose new versions; only managers publish them
// ("Validation des modifications : Gérant").
var proposers = []guichet.Role{guichet.RoleSupervisor, guichet.RoleManager, guichet.RoleAdmin}

// CreateProcedureVersion stores a draft after checking it in full:
// EINVALID lists every problem (paths under "definition."), ECONFLICT
// when the code already has that version.
func (s *Store) CreateProcedureVersion(ctx context.Context, def procedure.Definition, note string) (guichet.ProcedureVersion, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeProceduresWrite, proposers...); err != nil {
		return guichet.ProcedureVersion{}, err
	}
	if err := def.Validate(); err != nil {
		return guichet.ProcedureVersion{}, definitionProblem(err)
	}
	var row *procedureRow
	err := s.inTx(ctx, func(tx *Tx) error {
		var err error
		if row, err = newProcedureRow(tx, def, guichet.ProcedureDraft, note); err != nil {
			return err
		}
		row.CreatedBy = nullable(c.Agent.ID)
		if _, err := tx.NewInsert().Model(row).Exec(ctx); isUniqueViolation(err) {
			return guichet.Errorf(guichet.ECONFLICT, "procedure %s already has a version %q", def.Code, def.Version)
		} else if err != nil {
			return err
		}
		return audit(ctx, tx, "create", "procedure_version", row.ID, nil, map[string]string{"code": def.Code, "version": def.Version, "change_note": note})
	})
	if err != nil {
		return guichet.ProcedureVersion{}, wrap("create procedure version", err)
	}
	v := row.domain()
	v.Approvals = []guichet.ProcedureApproval{}
	return v, nil
}

func definitionProblem(err error) error {
	var ve *procedure.ValidationError
	if !errors.As(err, &ve) {
		return guichet.Invalid("definition", err.Error())
	}
	e := &guichet.Error{Code: guichet.EINVALID, Message: fmt.Sprintf("the procedure definition has %d problem(s)", len(ve.Problems))}
	for _, p := range ve.Problems {
		e.Fields = append(e.Fields, guichet.FieldError{Field: "definition." + p.Path, Message: p.Message})
	}
	return e
}

// ApproveProcedureVersion records the caller's approval ("Approbation du
// document : Tous"); ECONFLICT when they already approved it.
func (s *Store) ApproveProcedureVersion(ctx context.Context, code, version, comment string) (guichet.ProcedureVersion, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeProceduresWrite); err != nil {
		return guichet.ProcedureVersion{}, err
	}
	if c.IsSystem() {
		return guichet.ProcedureVersion{}, guichet.Errorf(guichet.EFORBIDDEN, "an approval is an agent's")
	}
	var out guichet.ProcedureVersion
	err := s.inTx(ctx, func(tx *Tx) error {
		v, err := loadProcedureVersion(ctx, tx, code, version)
		if err != nil {
			return err
		}
		row := approvalRow{VersionID: v.ID, AgentID: c.Agent.ID, Comment: comment, ApprovedAt: tx.Now}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); isUniqueViolation(err) {
			return guichet.Errorf(guichet.ECONFLICT, "you already approved %s %s", code, version)
		} else if err != nil {
			return err
		}
		v.Approvals = append(v.Approvals, guichet.ProcedureApproval{AgentID: row.AgentID, Comment: comment, ApprovedAt: row.ApprovedAt})
		out = v
		return audit(ctx, tx, "approve", "procedure_version", v.ID, nil, row)
	})
	return out, wrap("approve procedure version", err)
}

// PublishProcedureVersion publishes a draft (managers): it is checked
// again, the code's published version is retired, and new tickets follow
// the draft. ECONFLICT unless the version is a draft.
func (s *Store) PublishProcedureVersion(ctx context.Context, code, version string) (guichet.ProcedureVersion, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeProceduresWrite, guichet.RoleManager); err != nil {
		return guichet.ProcedureVersion{}, err
	}
	var out guichet.ProcedureVersion
	err := s.inTx(ctx, func(tx *Tx) error {
		v, err := loadProcedureVersion(ctx, tx, code, version)
		if err != nil {
			return err
		}
		if v.Status != guichet.ProcedureDraft {
			return guichet.Errorf(guichet.ECONFLICT, "%s %s is %s: only a draft can be published", code, version, v.Status)
		}
		def, err := procedure.Parse(v.Definition)
		if err == nil {
			err = def.Validate()
		}
		if err != nil {
			return definitionProblem(err)
		}
		if _, err := tx.NewUpdate().Model((*procedureRow)(nil)).Set("status = ?", guichet.ProcedureRetired).
			Where("code = ? AND status = ?", code, guichet.ProcedurePublished).Exec(ctx); err != nil {
			return err
		}
		v.Status, v.PublishedBy, v.PublishedAt = guichet.ProcedurePublished, c.Agent.ID, &tx.Now
		if _, err := tx.NewUpdate().Model((*procedureRow)(nil)).Set("status = ?", v.Status).
			Set("published_by = ?", nullable(c.Agent.ID)).Set("published_at = ?", tx.Now).Where("id = ?", v.ID).Exec(ctx); err != nil {
			return err
		}
		out = v
		return audit(ctx, tx, "publish", "procedure_version", v.ID, nil, map[string]string{"code": code, "version": version})
	})
	s.cache.forget()
	return out, wrap("publish procedure version", err)
}

// procedureFor returns the published version a new ticket of the category
// follows.
func (s *Store) procedureFor(ctx context.Context, db bun.IDB, code string) (string, *procedure.Definition, error) {
	id, ok := s.publishedID(code)
	if !ok {
		var err error
		if id, err = publishedVersion(ctx, db, code); err != nil {
			return "", nil, err
		}
	}
	d, err := s.definition(ctx, db, id)
	return id, d, err
}
