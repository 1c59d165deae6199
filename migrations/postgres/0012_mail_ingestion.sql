-- Mail ingestion (issue 5): IMAP folders read up to a checkpoint, one row
-- per message whatever the number of mailboxes and folders it sits in, a
-- queue item per mailbox. Identity is (mailbox, folder, uidvalidity, uid)
-- and the Message-ID; the checkpoint moves in the transaction that stores
-- the mail it covers, so a crash never loses nor duplicates a mail.

-- Where each ingested folder stands.
CREATE TABLE mail_folders (
    mailbox_id     uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    folder         text NOT NULL,
    uidvalidity    bigint NOT NULL,
    last_uid       bigint NOT NULL,
    -- Ingestion of the folder began then: older mail found by a
    -- resynchronisation (new UIDVALIDITY) is not imported.
    started_at     timestamptz NOT NULL,
    -- A backfill's UIDs up to this one are old mail: no automatic action.
    backfill_until bigint NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (mailbox_id, folder)
);

-- One row per Message-ID (a synthetic one when the mail has none).
CREATE TABLE mail_messages (
    id                uuid PRIMARY KEY,
    message_id        text NOT NULL,
    -- The mailbox that owns the message and its ticket: the one with the
    -- highest priority among those it reached.
    mailbox_id        uuid REFERENCES mailboxes (id) ON DELETE SET NULL,
    direction         text NOT NULL,
    in_reply_to       text NOT NULL DEFAULT '',
    refs              text NOT NULL DEFAULT '[]',
    subject           text NOT NULL DEFAULT '',
    from_name         text NOT NULL DEFAULT '',
    from_email        text NOT NULL DEFAULT '',
    to_list           text NOT NULL DEFAULT '[]',
    cc_list           text NOT NULL DEFAULT '[]',
    sent_at           timestamptz,
    received_at       timestamptz NOT NULL,
    excerpt           text NOT NULL DEFAULT '',
    text_body         text NOT NULL DEFAULT '',
    html_body         text NOT NULL DEFAULT '',
    headers           text NOT NULL DEFAULT '{}',
    classification    text NOT NULL DEFAULT '{}',
    bounce            text,
    bounce_of_id      uuid REFERENCES mail_messages (id) ON DELETE SET NULL,
    quarantine_reason text,
    synthetic_id      boolean NOT NULL DEFAULT false,
    backfill          boolean NOT NULL DEFAULT false,
    warnings          text NOT NULL DEFAULT '[]',
    raw_blob_key      text,
    raw_header_only   boolean NOT NULL DEFAULT false,
    raw_sha256        text NOT NULL DEFAULT '',
    raw_size          bigint NOT NULL DEFAULT 0,
    contact_id        uuid REFERENCES contacts (id),
    ticket_id         uuid REFERENCES tickets (id),
    routing_reason    text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX mail_messages_message_id_key ON mail_messages (message_id);
CREATE INDEX mail_messages_ticket_idx ON mail_messages (ticket_id) WHERE ticket_id IS NOT NULL;

-- Where a message sits on the servers.
CREATE TABLE mail_locations (
    mailbox_id      uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    folder          text NOT NULL,
    uidvalidity     bigint NOT NULL,
    uid             bigint NOT NULL,
    mail_message_id uuid NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    internal_date   timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (mailbox_id, folder, uidvalidity, uid)
);
CREATE INDEX mail_locations_message_idx ON mail_locations (mail_message_id);

-- Attachments and inline parts, in the blob store.
CREATE TABLE mail_attachments (
    id              uuid PRIMARY KEY,
    mail_message_id uuid NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    filename        text NOT NULL DEFAULT '',
    content_type    text NOT NULL,
    content_id      text NOT NULL DEFAULT '',
    inline          boolean NOT NULL DEFAULT false,
    size            bigint NOT NULL,
    blob_key        text
);
CREATE INDEX mail_attachments_message_idx ON mail_attachments (mail_message_id, position);

-- The mailbox queue: a mail stays until the person who processed it
-- removes it (« un mail n'est enlevé de la file que quand il est
-- complètement traité »).
CREATE TABLE mail_items (
    id               uuid PRIMARY KEY,
    mailbox_id       uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    mail_message_id  uuid NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    status           text NOT NULL,
    received_at      timestamptz NOT NULL,
    routing_reason   text NOT NULL,
    quarantined      boolean NOT NULL DEFAULT false,
    ticket_id        uuid REFERENCES tickets (id),
    claimed_by       uuid REFERENCES agents (id),
    claimed_at       timestamptz,
    processed_by     uuid REFERENCES agents (id),
    processed_at     timestamptz,
    processed_reason text,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE UNIQUE INDEX mail_items_mailbox_message_key ON mail_items (mailbox_id, mail_message_id);
-- Serves the queue, newest first, with its filters.
CREATE INDEX mail_items_queue_idx ON mail_items (mailbox_id, received_at DESC, id DESC);
CREATE INDEX mail_items_message_idx ON mail_items (mail_message_id);

-- One fetch at a time per mailbox, across processes: a lease renewed by
-- the running fetch; a killed process's lease simply expires.
CREATE TABLE mail_fetch_leases (
    mailbox_id uuid PRIMARY KEY REFERENCES mailboxes (id) ON DELETE CASCADE,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);

-- When the next fetch is due, and the failures in a row that space it.
ALTER TABLE mailboxes ADD COLUMN next_fetch_at timestamptz;
ALTER TABLE mailboxes ADD COLUMN fetch_failures integer NOT NULL DEFAULT 0;

-- A delivery status notification flags the address it bounced from.
ALTER TABLE contacts ADD COLUMN email_bounced_at timestamptz;
