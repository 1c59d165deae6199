package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/guichet/guichet/internal/calendar"
	"github.com/guichet/guichet/internal/guichet"
	"github.com/guichet/guichet/internal/mailcheck"
	"github.com/guichet/guichet/internal/textsearch"
)

// Default ports by protection, for IMAP and SMTP.
var (
	imapPorts = map[guichet.MailSecurity]int{guichet.SecurityTLS: 993, guichet.SecurityStartTLS: 143, guichet.SecurityNone: 143}
	smtpPorts = map[guichet.MailSecurity]int{guichet.SecurityTLS: 465, guichet.SecurityStartTLS: 587, guichet.SecurityNone: 25}
)

// CreateMailbox creates a shared mailbox (managers and admins) or the
// caller's own personal mailbox, whose ingestion starts off.
func (s *Store) CreateMailbox(ctx context.Context, in guichet.MailboxCreate) (guichet.Mailbox, error) {
	c := guichet.CallerFrom(ctx)
	if err := c.Require(guichet.ScopeMailboxesWrite); err != nil {
		return guichet.Mailbox{}, err
	}
	row := mailboxRow{ID: newID(), Kind: string(in.Kind), Name: strings.TrimSpace(in.Name), Priority: in.Priority,
		State: "idle", Version: 1}
	switch in.Kind {
	case guichet.MailboxPersonal:
		if c.Agent.ID == "" {
			return guichet.Mailbox{}, guichet.Errorf(guichet.EFORBIDDEN, "a personal mailbox is created by its owner")
		}
		if in.Purpose != "" || in.ResponsibleID != "" || in.BackupID != "" {
			return guichet.Mailbox{}, guichet.Invalid("kind", "a personal mailbox has an owner, not a purpose, a responsible or a backup")
		}
		if in.AutoTickets != nil && *in.AutoTickets {
			return guichet.Mailbox{}, guichet.Invalid("auto_tickets", "a personal mailbox's mail becomes a ticket only when its owner converts it")
		}
		row.OwnerID, row.IngestionEnabled = nullable(c.Agent.ID), in.IngestionEnabled != nil && *in.IngestionEnabled
	case guichet.MailboxShared:
		if err := c.Require(guichet.ScopeMailboxesWrite, guichet.RoleManager, guichet.RoleAdmin); err != nil {
			return guichet.Mailbox{}, err
		}
		if in.Purpose == "" {
			return guichet.Mailbox{}, guichet.Invalid("purpose", "a shared mailbox needs a purpose (contact, compta…)")
		}
		if in.ResponsibleID == "" {
			return guichet.Mailbox{}, guichet.Invalid("responsible_id", "a shared mailbox needs a responsible")
		}
		if in.DelegateID != "" || in.AbsenceMessage != "" {
			return guichet.Mailbox{}, guichet.Invalid("delegate_id", "delegation and absence messages belong to personal mailboxes")
		}
		row.Purpose, row.ResponsibleID, row.BackupID = nullable(in.Purpose), nullable(in.ResponsibleID), nullable(in.BackupID)
		row.IngestionEnabled = in.IngestionEnabled == nil || *in.IngestionEnabled
		row.AutoTickets = in.Purpose == "contact"
		if in.AutoTickets != nil {
			row.AutoTickets = *in.AutoTickets
		}
	default:
		return guichet.Mailbox{}, guichet.Invalid("kind", "unknown kind")
	}
	row.DelegateID, row.AbsenceMessage = nullable(in.DelegateID), nullable(in.AbsenceMessage)
	row.QueueReminderMinutes = guichet.DefaultQueueReminderMinutes
	if in.QueueReminderMinutes != nil {
		if *in.QueueReminderMinutes < 0 {
			return guichet.Mailbox{}, guichet.Invalid("queue_reminder_minutes", "must be 0 (no reminders) or more")
		}
		row.QueueReminderMinutes = *in.QueueReminderMinutes
	}
	if in.BackfillSince != "" {
		if _, err := calendar.ParseDate(in.BackfillSince); err != nil {
			return guichet.Mailbox{}, guichet.Invalid("backfill_since", "not a date")
		}
		row.BackfillSince = nullable(in.BackfillSince)
	}
	sched := guichet.CheckSchedule{Times: []string{"09:00", "14:00", "17:30"}, GraceMinutes: 30}
	if in.CheckSchedule != nil {
		sched = *in.CheckSchedule
	}
	steps := []func() error{
		func() error { return setAddress(&row, in.Address) },
		func() error { return setSchedule(&row, sched) },
		func() error { return s.setImap(&row, in.Imap) },
		func() error { return s.setSmtp(&row, in.Smtp) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return guichet.Mailbox{}, err
		}
	}
	err := s.inTx(ctx, func(tx *Tx) error {
		if err := checkMailboxPeople(ctx, tx, &row); err != nil {
			return err
		}
		row.CreatedAt, row.UpdatedAt = tx.Now, tx.Now
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); isUniqueViolation(err) {
			return guichet.Errorf(guichet.ECONFLICT, "a mailbox with the address %s exists", row.Address)
		} else if err != nil {
			return fmt.Errorf("insert mailbox: %w", err)
		}
		return auditMailbox(ctx, tx, &row, "create", nil, row.domain())
	})
	return row.domain(), wrap("create mailbox", err)
}

// UpdateMailbox changes a mailbox: a shared one by a manager or an admin,
// a personal one by its owner alone.
func (s *Store) UpdateMailbox(ctx context.Context, id string, ifMatch int, in guichet.MailboxUpdate) (guichet.Mailbox, error) {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesWrite); err != nil {
		return guichet.Mailbox{}, err
	}
	var out guichet.Mailbox
	err := s.inTx(ctx, func(tx *Tx) error {
		row, err := s.loadManagedMailbox(ctx, tx, id, ifMatch)
		if err != nil {
			return err
		}
		before := row.domain()
		if err := s.applyMailboxUpdate(&row, in); err != nil {
			return err
		}
		if err := checkMailboxPeople(ctx, tx, &row); err != nil {
			return err
		}
		row.Version++
		row.UpdatedAt = tx.Now
		// The fetch state is the fetches' own: a settings change must not
		// write back what it read while a fetch moved it on.
		q := tx.NewUpdate().Model(&row).ExcludeColumn("state", "last_error", "last_fetch_at", "next_fetch_at", "fetch_failures")
		if _, err := q.WherePK().Exec(ctx); isUniqueViolation(err) {
			return guichet.Errorf(guichet.ECONFLICT, "a mailbox with the address %s exists", row.Address)
		} else if err != nil {
			return fmt.Errorf("update mailbox: %w", err)
		}
		if in.Imap != nil || in.IngestionEnabled != nil {
			if err := resetFetchSchedule(ctx, tx, row.ID); err != nil {
				return err
			}
		}
		out = row.domain()
		return auditMailbox(ctx, tx, &row, "update", before, out)
	})
	return out, wrap("update mailbox", err)
}

func (s *Store) applyMailboxUpdate(row *mailboxRow, in guichet.MailboxUpdate) error {
	personal := row.personal()
	switch {
	case personal && (in.ResponsibleID != nil || in.BackupID != nil):
		return guichet.Invalid("responsible_id", "a personal mailbox has an owner, not a responsible or a backup")
	case personal && in.AutoTickets != nil && *in.AutoTickets:
		return guichet.Invalid("auto_tickets", "a personal mailbox's mail becomes a ticket only when its owner converts it")
	case !personal && (in.DelegateID != nil || in.AbsenceMessage != nil):
		return guichet.Invalid("delegate_id", "delegation and absence messages belong to personal mailboxes")
	}
	if in.Name != nil {
		row.Name = strings.TrimSpace(*in.Name)
	}
	if in.Address != nil {
		if err := setAddress(row, *in.Address); err != nil {
			return err
		}
	}
	for dst, v := range map[**string]*string{&row.DelegateID: in.DelegateID, &row.ResponsibleID: in.ResponsibleID,
		&row.BackupID: in.BackupID, &row.AbsenceMessage: in.AbsenceMessage} {
		if v != nil {
			*dst = nullable(*v)
		}
	}
	if in.IngestionEnabled != nil {
		row.IngestionEnabled = *in.IngestionEnabled
	}
	if in.AutoTickets != nil {
		row.AutoTickets = *in.AutoTickets
	}
	if in.Priority != nil {
		row.Priority = *in.Priority
	}
	if in.QueueReminderMinutes != nil {
		if *in.QueueReminderMinutes < 0 {
			return guichet.Invalid("queue_reminder_minutes", "must be 0 (no reminders) or more")
		}
		row.QueueReminderMinutes = *in.QueueReminderMinutes
	}
	if in.CheckSchedule != nil {
		if err := setSchedule(row, *in.CheckSchedule); err != nil {
			return err
		}
	}
	if in.ClearImap {
		row.Imap, row.ImapPassword = nil, nil
	} else if err := s.setImap(row, in.Imap); err != nil {
		return err
	}
	if in.ClearSmtp {
		row.Smtp, row.SmtpPassword = nil, nil
	} else if err := s.setSmtp(row, in.Smtp); err != nil {
		return err
	}
	if row.Name == "" {
		return guichet.Invalid("name", "must not be empty")
	}
	return nil
}

// DeleteMailbox deletes a mailbox: a shared one by a manager or an admin,
// a personal one by its owner.
func (s *Store) DeleteMailbox(ctx context.Context, id string, ifMatch int) error {
	if err := guichet.CallerFrom(ctx).Require(guichet.ScopeMailboxesWrite); err != nil {
		return err
	}
	return wrap("delete mailbox", s.inTx(ctx, func(tx *Tx) error {
		row, err := s.loadManagedMailbox(ctx, tx, id, ifMatch)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(&row).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete mailbox: %w", err)
		}
		return auditMailbox(ctx, tx, &row, "delete", row.domain(), nil)
	}))
}

// loadManagedMailbox loads a mailbox the caller may change, at version
// ifMatch.
func (s *Store) loadManagedMailbox(ctx context.Context, tx *Tx, id string, ifMatch int) (mailboxRow, error) {
	row, acc, err := s.loadVisibleMailbox(ctx, tx, id)
	if err != nil {
		return row, err
	}
	if acc != accessManage {
		return row, guichet.Errorf(guichet.EFORBIDDEN, "a shared mailbox is changed by a manager or an admin, a personal one by its owner")
	}
	if row.Version != ifMatch {
		return row, stale(row.Version)
	}
	return row, nil
}

func setAddress(row *mailboxRow, address string) error {
	a, ok := textsearch.NormalizeEmail(address)
	if !ok {
		return guichet.Invalid("address", "not a valid email address")
	}
	row.Address = a
	return nil
}

func setSchedule(row *mailboxRow, sched guichet.CheckSchedule) error {
	if _, err := ScheduleOf(sched); err != nil {
		return guichet.Invalid("check_schedule", err.Error())
	}
	b, _ := json.Marshal(sched)
	row.CheckSchedule = string(b)
	return nil
}

// ScheduleOf turns a stored check schedule into mailcheck's.
func ScheduleOf(sched guichet.CheckSchedule) (mailcheck.Schedule, error) {
	out := mailcheck.Schedule{Grace: time.Duration(sched.GraceMinutes) * time.Minute}
	for _, t := range sched.Times {
		tod, err := calendar.ParseTimeOfDay(t)
		if err != nil {
			return out, fmt.Errorf("%q is not a time of day", t)
		}
		out.Times = append(out.Times, tod)
	}
	return out, out.Validate()
}

// setImap applies IMAP settings with their defaults; the password is
// sealed, bound to the mailbox's id.
func (s *Store) setImap(row *mailboxRow, in *guichet.ImapInput) error {
	if in == nil {
		return nil
	}
	imap := in.ImapSettings
	if imap.Security == "" {
		imap.Security = guichet.SecurityTLS
	}
	if _, ok := imapPorts[imap.Security]; !ok {
		return guichet.Invalid("imap.security", "unknown security")
	}
	if imap.Port == 0 {
		imap.Port = imapPorts[imap.Security]
	}
	if len(imap.Folders) == 0 {
		imap.Folders = []string{"INBOX"}
	}
	if imap.WatchedFolders == nil {
		imap.WatchedFolders = []string{}
	}
	if imap.SentFolder == "" {
		imap.SentFolder = "Sent"
	}
	if imap.FetchIntervalSeconds == 0 {
		imap.FetchIntervalSeconds = 60
	}
	if !in.ArchiveSet && row.Imap != nil {
		var old guichet.ImapSettings
		_ = json.Unmarshal([]byte(*row.Imap), &old)
		imap.ArchiveFolder = old.ArchiveFolder
	}
	if strings.TrimSpace(imap.Host) == "" || strings.TrimSpace(imap.Username) == "" {
		return guichet.Invalid("imap.host", "host and username are required")
	}
	imap.PasswordSet = false
	b, _ := json.Marshal(imap)
	row.Imap = nullable(string(b))
	switch {
	case in.ClearPassword:
		row.ImapPassword = nil
	case in.Password != nil:
		row.ImapPassword = s.opts.Box.Seal([]byte(*in.Password), []byte("mailbox-imap:"+row.ID))
	}
	return nil
}

func (s *Store) setSmtp(row *mailboxRow, in *guichet.SmtpInput) error {
	if in == nil {
		return nil
	}
	smtp := in.SmtpSettings
	if smtp.Security == "" {
		smtp.Security = guichet.SecurityTLS
	}
	if _, ok := smtpPorts[smtp.Security]; !ok {
		return guichet.Invalid("smtp.security", "unknown security")
	}
	if smtp.Port == 0 {
		smtp.Port = smtpPorts[smtp.Security]
	}
	if strings.TrimSpace(smtp.Host) == "" {
		return guichet.Invalid("smtp.host", "host is required")
	}
	smtp.PasswordSet = false
	b, _ := json.Marshal(smtp)
	row.Smtp = nullable(string(b))
	switch {
	case in.ClearPassword:
		row.SmtpPassword = nil
	case in.Password != nil:
		row.SmtpPassword = s.opts.Box.Seal([]byte(*in.Password), []byte("mailbox-smtp:"+row.ID))
	}
	return nil
}

// checkMailboxPeople checks that everyone named is an active agent, in
// the right place: a delegate is not the owner, a backup not the
// responsible.
func checkMailboxPeople(ctx context.Context, db bun.IDB, row *mailboxRow) error {
	switch {
	case row.DelegateID != nil && deref(row.DelegateID) == deref(row.OwnerID):
		return guichet.Invalid("delegate_id", "the owner cannot be their own delegate")
	case row.BackupID != nil && deref(row.BackupID) == deref(row.ResponsibleID):
		return guichet.Invalid("backup_id", "the backup must be someone other than the responsible")
	}
	for field, id := range map[string]*string{"delegate_id": row.DelegateID, "responsible_id": row.ResponsibleID, "backup_id": row.BackupID} {
		if id == nil {
			continue
		}
		a, err := loadAgent(ctx, db, *id)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND || (err == nil && !a.Active) {
			return guichet.Invalid(field, "no active agent with this id")
		} else if err != nil {
			return err
		}
	}
	return nil
}
