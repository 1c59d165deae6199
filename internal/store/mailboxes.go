package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/guichet"
)

type mailboxRow struct {
	bun.BaseModel `bun:"table:mailboxes"`

	ID               string     `bun:"id,pk"`
	Kind             string     `bun:"kind"`
	Purpose          *string    `bun:"purpose"`
	Name             string     `bun:"name"`
	Address          string     `bun:"address"`
	OwnerID          *string    `bun:"owner_id"`
	DelegateID       *string    `bun:"delegate_id"`
	ResponsibleID    *string    `bun:"responsible_id"`
	BackupID         *string    `bun:"backup_id"`
	IngestionEnabled bool       `bun:"ingestion_enabled"`
	AutoTickets      bool       `bun:"auto_tickets"`
	Priority         int        `bun:"priority"`
	Imap             *string    `bun:"imap"`
	ImapPassword     []byte     `bun:"imap_password"`
	Smtp             *string    `bun:"smtp"`
	SmtpPassword     []byte     `bun:"smtp_password"`
	CheckSchedule    string     `bun:"check_schedule"`
	AbsenceMessage   *string    `bun:"absence_message"`
	BackfillSince    *string    `bun:"backfill_since"`
	State            string     `bun:"state"`
	LastError        *string    `bun:"last_error"`
	LastFetchAt      *time.Time `bun:"last_fetch_at"`
	NextFetchAt      *time.Time `bun:"next_fetch_at"`
	FetchFailures    int        `bun:"fetch_failures"`
	Version          int        `bun:"version"`
	CreatedAt        time.Time  `bun:"created_at"`
	UpdatedAt        time.Time  `bun:"updated_at"`

	// QueueReminderMinutes: the mail queue's reminder delay (0: none).
	QueueReminderMinutes int `bun:"queue_reminder_minutes"`
}

func (r *mailboxRow) personal() bool { return r.Kind == string(guichet.MailboxPersonal) }

// domain is the public view: never a password, only whether one is set.
func (r *mailboxRow) domain() guichet.Mailbox {
	m := guichet.Mailbox{ID: r.ID, Kind: guichet.MailboxKind(r.Kind), Purpose: deref(r.Purpose), Name: r.Name,
		Address: r.Address, OwnerID: deref(r.OwnerID), DelegateID: deref(r.DelegateID),
		ResponsibleID: deref(r.ResponsibleID), BackupID: deref(r.BackupID), IngestionEnabled: r.IngestionEnabled,
		AutoTickets: r.AutoTickets, Priority: r.Priority, AbsenceMessage: deref(r.AbsenceMessage),
		BackfillSince: deref(r.BackfillSince), State: r.State, LastError: deref(r.LastError),
		LastFetchAt: r.LastFetchAt, NextFetchAt: r.NextFetchAt, FetchFailures: r.FetchFailures, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		QueueReminderMinutes: r.QueueReminderMinutes}
	if r.Imap != nil {
		var imap guichet.ImapSettings
		_ = json.Unmarshal([]byte(*r.Imap), &imap)
		imap.PasswordSet = len(r.ImapPassword) > 0
		m.Imap = &imap
	}
	if r.Smtp != nil {
		var smtp guichet.SmtpSettings
		_ = json.Unmarshal([]byte(*r.Smtp), &smtp)
		smtp.PasswordSet = len(r.SmtpPassword) > 0
		m.Smtp = &smtp
	}
	_ = json.Unmarshal([]byte(r.CheckSchedule), &m.CheckSchedule)
	return m
}

// mailboxAccess is what a caller may do with a mailbox.
type mailboxAccess int

const (
	accessNone     mailboxAccess = iota // 404: a personal mailbox of someone else
	accessRead                          // a shared mailbox, for any agent
	accessDelegate                      // a personal mailbox, for its delegate while the owner is away
	accessManage                        // the owner, or a manager/admin for a shared one
)

// accessTo decides the caller's access. A personal mailbox is its owner's
// alone — admins included get none — save for the delegate the owner
// named, during the owner's declared absence.
func (s *Store) accessTo(ctx context.Context, db bun.IDB, row *mailboxRow) (mailboxAccess, error) {
	c := guichet.CallerFrom(ctx)
	if !row.personal() {
		if c.IsSystem() || c.Agent.HasRole(guichet.RoleManager, guichet.RoleAdmin) {
			return accessManage, nil
		}
		return accessRead, nil
	}
	switch {
	case c.IsSystem() || c.Agent.ID == deref(row.OwnerID):
		return accessManage, nil
	case c.Agent.ID != "" && c.Agent.ID == deref(row.DelegateID):
		away, err := isAbsent(ctx, db, deref(row.OwnerID), s.now())
		if err != nil || !away {
			return accessNone, err
		}
		return accessDelegate, nil
	}
	return accessNone, nil
}

// isAbsent reports whether agent has a declared absence covering at.
func isAbsent(ctx context.Context, db bun.IDB, agentID string, at time.Time) (bool, error) {
	n, err := db.NewSelect().Model((*absenceRow)(nil)).Where("agent_id = ?", agentID).
		Where("starts_at <= ? AND ends_at > ?", at, at).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("absences: %w", err)
	}
	return n > 0, nil
}

// loadVisibleMailbox loads a mailbox the caller may see: anything else,
// including someone else's personal mailbox, is "not found".
func (s *Store) loadVisibleMailbox(ctx context.Context, db bun.IDB, id string) (mailboxRow, mailboxAccess, error) {
	row, err := loadByID[mailboxRow](ctx, db, id, "mailbox")
	if err != nil {
		return row, accessNone, err
	}
	acc, err := s.accessTo(ctx, db, &row)
	if err == nil && acc == accessNone {
		err = notFound("mailbox")
	}
	return row, acc, err
}

// auditMailbox records a write on a mailbox; a personal mailbox's entries
// are its owner's alone.
func auditMailbox(ctx context.Context, tx *Tx, row *mailboxRow, action string, before, after any) error {
	owner := ""
	if row.personal() {
		owner = deref(row.OwnerID)
	}
	return auditPrivate(ctx, tx, owner, action, "mailbox", row.ID, before, after)
}

// GetMailbox reads a mailbox. A delegate's read is audited for the owner.
func (s *Store) GetMailbox(ctx context.Context, id string) (guichet.Mailbox, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesRead); err != nil {
		return guichet.Mailbox{}, err
	}
	row, acc, err := s.loadVisibleMailbox(ctx, s.db.read, id)
	if err != nil {
		return guichet.Mailbox{}, wrap("get mailbox", err)
	}
	if acc == accessDelegate {
		err = s.inTx(ctx, func(tx *Tx) error { return auditMailbox(ctx, tx, &row, "read", nil, nil) })
	}
	return row.domain(), wrap("get mailbox", err)
}

// ListMailboxes lists the shared mailboxes, the caller's own, and those
// the caller reads as a delegate, by name.
func (s *Store) ListMailboxes(ctx context.Context, f guichet.MailboxFilter) (guichet.Page[guichet.Mailbox], error) {
	var page guichet.Page[guichet.Mailbox]
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeMailboxesRead); err != nil {
		return page, err
	}
	const order = "mailboxes:name"
	var cur cursor
	if err := decodeCursor(f.Page.Cursor, order, &cur); err != nil {
		return page, err
	}
	me, now := c.Agent.ID, s.now()
	q := s.db.read.NewSelect().Model((*mailboxRow)(nil))
	if !c.IsSystem() {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("kind = ?", guichet.MailboxShared).WhereOr("owner_id = ?", me).
				WhereOr("delegate_id = ? AND EXISTS (SELECT 1 FROM absences a WHERE a.agent_id = ?TableAlias.owner_id AND a.starts_at <= ? AND a.ends_at > ?)", me, now, now)
		})
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Purpose != "" {
		q = q.Where("purpose = ?", f.Purpose)
	}
	name := s.byteOrder("name")
	if cur.ID != "" {
		q = q.Where("("+name+" > ?) OR ("+name+" = ? AND id > ?)", cur.Key, cur.Key, cur.ID)
	}
	var rows []mailboxRow
	n := f.Page.Size()
	if err := q.OrderExpr(name+", id").Limit(n+1).Scan(ctx, &rows); err != nil {
		return page, wrap("list mailboxes", err)
	}
	for i := range rows {
		if i == n {
			page.NextCursor = encodeCursor(order, rows[n-1].Name, rows[n-1].ID)
			break
		}
		page.Items = append(page.Items, rows[i].domain())
	}
	return page, nil
}

// ListMailboxAuditEvents is a mailbox's own trail: the owner's alone for
// a personal mailbox, managers' and admins' for a shared one.
func (s *Store) ListMailboxAuditEvents(ctx context.Context, id string, p guichet.PageRequest) (guichet.Page[guichet.AuditEvent], error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeMailboxesRead); err != nil {
		return guichet.Page[guichet.AuditEvent]{}, err
	}
	row, acc, err := s.loadVisibleMailbox(ctx, s.db.read, id)
	if err != nil {
		return guichet.Page[guichet.AuditEvent]{}, wrap("mailbox audit", err)
	}
	if acc != accessManage {
		return guichet.Page[guichet.AuditEvent]{}, guichet.Errorf(guichet.EFORBIDDEN, "only the owner of a personal mailbox, or a manager or admin for a shared one, reads its audit trail")
	}
	q := s.db.read.NewSelect().Model((*auditRow)(nil)).Where("entity_type = 'mailbox' AND entity_id = ?", row.ID)
	return s.auditPage(ctx, q, p)
}
