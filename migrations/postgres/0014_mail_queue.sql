-- The mail queue's operations (issue 5): processing into tickets, the
-- move of a processed mail to the mailbox's archive folder, and the
-- reminders of unprocessed items.

-- How long an unprocessed item waits before its holder, then whoever is
-- in charge of the mailbox, is reminded; 0 turns reminders off.
ALTER TABLE mailboxes ADD COLUMN queue_reminder_minutes integer NOT NULL DEFAULT 240;

-- Reminder stages: 0 none yet, 1 the holder was reminded, 2 whoever is in
-- charge was. The next stage's delay counts from remind_from (NULL: the
-- item's creation). A stage moves by a conditional UPDATE: two sweeps
-- never remind twice.
ALTER TABLE mail_items ADD COLUMN reminder_stage integer NOT NULL DEFAULT 0;
ALTER TABLE mail_items ADD COLUMN remind_from timestamptz;
-- The archive move of a processed item: pending, archived or failed.
ALTER TABLE mail_items ADD COLUMN archive_state text;
ALTER TABLE mail_items ADD COLUMN archive_error text;
ALTER TABLE mail_items ADD COLUMN archived_at timestamptz;

-- Serves the reminder sweep: the unprocessed items of a mailbox by stage.
CREATE INDEX mail_items_reminder_idx ON mail_items (mailbox_id, reminder_stage) WHERE status <> 'processed';

-- The tickets a processed item went to, and how.
CREATE TABLE mail_item_tickets (
    mail_item_id uuid NOT NULL REFERENCES mail_items (id) ON DELETE CASCADE,
    ticket_id    uuid NOT NULL REFERENCES tickets (id),
    how          text NOT NULL,
    note         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (mail_item_id, ticket_id)
);
CREATE INDEX mail_item_tickets_ticket_idx ON mail_item_tickets (ticket_id);
