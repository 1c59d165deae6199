-- Outgoing mail (issue 5): agents' replies, client notifications, absence
-- replies and forwards. Each mail is composed once, its bytes kept in the
-- blob store, and sent by a River job that claims the row first: the same
-- bytes and Message-ID on every attempt, sent once.
CREATE TABLE mail_outbox (
    id                text PRIMARY KEY,
    kind              text NOT NULL,
    mailbox_id        text NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    ticket_id         text REFERENCES tickets (id),
    notification_id   text REFERENCES client_notifications (id),
    mail_item_id      text REFERENCES mail_items (id) ON DELETE SET NULL,
    author_id         text REFERENCES agents (id),
    sender            text NOT NULL,
    recipients        text NOT NULL,
    subject           text NOT NULL,
    message_id        text NOT NULL,
    text_body         text NOT NULL DEFAULT '',
    blob_key          text,
    size              integer NOT NULL DEFAULT 0,
    sha256            text NOT NULL DEFAULT '',
    -- queued → sending → sent | failed; suppressed never leaves.
    status            text NOT NULL,
    reason            text,
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text,
    claimed_at        timestamp,
    sent_at           timestamp,
    -- The copy in the mailbox's Sent folder: none, pending, appending,
    -- appended or failed; never a reason to send the mail again.
    sent_folder_state text NOT NULL DEFAULT 'none',
    sent_folder_error text,
    created_at        timestamp NOT NULL,
    updated_at        timestamp NOT NULL
);
CREATE UNIQUE INDEX mail_outbox_message_id_key ON mail_outbox (message_id);
-- Serves GET /tickets/{id}/outgoing-mails, oldest first.
CREATE INDEX mail_outbox_ticket_idx ON mail_outbox (ticket_id, id) WHERE ticket_id IS NOT NULL;

-- One absence reply per sender per absence of a personal mailbox's owner.
CREATE TABLE mail_absence_replies (
    mailbox_id text NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    absence_id text NOT NULL REFERENCES absences (id) ON DELETE CASCADE,
    sender     text NOT NULL,
    outbox_id  text NOT NULL,
    created_at timestamp NOT NULL,
    PRIMARY KEY (mailbox_id, absence_id, sender)
);

-- Automatic mail sent per recipient address and clock hour, shared by
-- restarts and replicas (GUICHET_AUTO_MAIL_PER_HOUR).
CREATE TABLE auto_mail_counts (
    address text NOT NULL,
    hour    timestamp NOT NULL,
    count   integer NOT NULL,
    PRIMARY KEY (address, hour)
);

-- A client notification becomes a mail: its outbox row, and why it was
-- not sent when suppressed (no_email, bounced, rate_limited, no_mailbox).
ALTER TABLE client_notifications ADD COLUMN outbox_id text;
ALTER TABLE client_notifications ADD COLUMN reason text;
