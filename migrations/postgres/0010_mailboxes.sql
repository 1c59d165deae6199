-- Mailboxes (procedure #46's mailbox rules): personal ones are their
-- owner's alone, shared ones have a responsible and a backup. Passwords are
-- sealed with the configured secret key and never leave the store.
CREATE TABLE mailboxes (
    id                     uuid PRIMARY KEY,
    kind                   text NOT NULL,
    purpose                text,
    name                   text NOT NULL,
    address                text NOT NULL,
    owner_id               uuid REFERENCES agents (id),
    delegate_id            uuid REFERENCES agents (id),
    responsible_id         uuid REFERENCES agents (id),
    backup_id              uuid REFERENCES agents (id),
    ingestion_enabled      boolean NOT NULL DEFAULT false,
    auto_tickets           boolean NOT NULL DEFAULT false,
    priority               integer NOT NULL DEFAULT 0,
    -- imap and smtp hold the settings as JSON, without the passwords.
    imap                   text,
    imap_password          bytea,
    smtp                   text,
    smtp_password          bytea,
    check_schedule         text NOT NULL,
    absence_message        text,
    backfill_since         text,
    state                  text NOT NULL DEFAULT 'idle',
    last_error             text,
    last_fetch_at          timestamptz,
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);
CREATE UNIQUE INDEX mailboxes_address_key ON mailboxes (address);
CREATE INDEX mailboxes_owner_idx ON mailboxes (owner_id);

-- Audit entries about a personal mailbox's mail are its owner's alone.
ALTER TABLE audit_events ADD COLUMN visible_to uuid REFERENCES agents (id);
