-- Mail ingestion (issue 5): IMAP folders read up to a checkpoint, one row
-- per message whatever the number of mailboxes and folders it sits in, a
-- queue item per mailbox. Identity is (mailbox, folder, uidvalidity, uid)
-- and the Message-ID; the checkpoint moves in the transaction that stores
-- the mail it covers, so a crash never loses nor duplicates a mail.

-- Where each ingested folder stands.
CREATE TABLE mail_folders (
    mailbox_id     text NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    folder         text NOT NULL,
    uidvalidity    integer NOT NULL,
    last_uid       integer NOT NULL,
    -- Ingestion of the folder began then: older mail found by a
    -- resynchronisation (new UIDVALIDITY) is not imported.
    started_at     timestamp NOT NULL,
    -- A backfill's UIDs up to this one are old mail: no automatic action.
    backfill_until integer NOT NULL DEFAULT 0,
    updated_at     timestamp NOT NULL,
    PRIMARY KEY (mailbox_id, folder)
);

-- One row per Message-ID (a synthetic one when the mail has none).
CREATE TABLE mail_messages (
    id                text PRIMARY KEY,
    message_id        text NOT NULL,
    -- The mailbox that owns the message and its ticket: the one with the
    -- highest priority among those it reached.
    mailbox_id        text REFERENCES mailboxes (id) ON DELETE SET NULL,
    direction         text NOT NULL,
    in_reply_to       text NOT NULL DEFAULT '',
    refs              text NOT NULL DEFAULT '[]',
    subject           text NOT NULL DEFAULT '',
    from_name         text NOT NULL DEFAULT '',
    from_email        text NOT NULL DEFAULT '',
    to_list           text NOT NULL DEFAULT '[]',
    cc_list           text NOT NULL DEFAULT '[]',
    sent_at           timestamp,
    received_at       timestamp NOT NULL,
    excerpt           text NOT NULL DEFAULT '',
    text_body         text NOT NULL DEFAULT '',
    html_body         text NOT NULL DEFAULT '',
    headers           text NOT NULL DEFAULT '{}',
    classification    text NOT NULL DEFAULT '{}',
    bounce            text,
    bounce_of_id      text REFERENCES mail_messages (id) ON DELETE SET NULL,
    quarantine_reason text,
    synthetic_id      integer NOT NULL DEFAULT 0,
    backfill          integer NOT NULL DEFAULT 0,
    warnings          text NOT NULL DEFAULT '[]',
    raw_blob_key      text,
    raw_header_only   integer NOT NULL DEFAULT 0,
    raw_sha256        text NOT NULL DEFAULT '',
    raw_size          integer NOT NULL DEFAULT 0,
    contact_id        text REFERENCES contacts (id),
    ticket_id         text REFERENCES tickets (id),
    routing_reason    text NOT NULL DEFAULT '',
    created_at        timestamp NOT NULL
);
CREATE UNIQUE INDEX mail_messages_message_id_key ON mail_messages (message_id);
CREATE INDEX mail_messages_ticket_idx ON mail_messages (ticket_id) WHERE ticket_id IS NOT NULL;

-- Where a message sits on the servers.
CREATE TABLE mail_locations (
    mailbox_id      text NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    folder          text NOT NULL,
    uidvalidity     integer NOT NULL,
    uid             integer NOT NULL,
    mail_message_id text NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    internal_date   timestamp NOT NULL,
    created_at      timestamp NOT NULL,
    PRIMARY KEY (mailbox_id, folder, uidvalidity, uid)
);
CREATE INDEX mail_locations_message_idx ON mail_locations (mail_message_id);

-- Attachments and inline parts, in the blob store.
CREATE TABLE mail_attachments (
    id              text PRIMARY KEY,
    mail_message_id text NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    filename        text NOT NULL DEFAULT '',
    content_type    text NOT NULL,
    content_id      text NOT NULL DEFAULT '',
    inline          integer NOT NULL DEFAULT 0,
    size            integer NOT NULL,
    blob_key        text
);
CREATE INDEX mail_attachments_message_idx ON mail_attachments (mail_message_id, position);

-- The mailbox queue: a mail stays until the person who processed it
-- removes it (« un mail n'est enlevé de la file que quand il est
-- complètement traité »).
CREATE TABLE mail_items (
    id               text PRIMARY KEY,
    mailbox_id       text NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    mail_message_id  text NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    status           text NOT NULL,
    received_at      timestamp NOT NULL,
    routing_reason   text NOT NULL,
    quarantined      integer NOT NULL DEFAULT 0,
    ticket_id        text REFERENCES tickets (id),
    claimed_by       text REFERENCES agents (id),
    claimed_at       timestamp,
    processed_by     text REFERENCES agents (id),
    processed_at     timestamp,
    processed_reason text,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamp NOT NULL,
    updated_at       timestamp NOT NULL
);
CREATE UNIQUE INDEX mail_items_mailbox_message_key ON mail_items (mailbox_id, mail_message_id);
-- Serves the queue, newest first, with its filters.
CREATE INDEX mail_items_queue_idx ON mail_items (mailbox_id, received_at DESC, id DESC);
CREATE INDEX mail_items_message_idx ON mail_items (mail_message_id);

-- One fetch at a time per mailbox, across processes: a lease renewed by
-- the running fetch; a killed process's lease simply expires.
CREATE TABLE mail_fetch_leases (
    mailbox_id text PRIMARY KEY REFERENCES mailboxes (id) ON DELETE CASCADE,
    holder     text NOT NULL,
    expires_at timestamp NOT NULL
);

-- When the next fetch is due, and the failures in a row that space it.
ALTER TABLE mailboxes ADD COLUMN next_fetch_at timestamp;
ALTER TABLE mailboxes ADD COLUMN fetch_failures integer NOT NULL DEFAULT 0;

-- A delivery status notification flags the address it bounced from.
ALTER TABLE contacts ADD COLUMN email_bounced_at timestamp;
