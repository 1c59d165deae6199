-- Attachments: the scanned letters of the GED and other files, stored in
-- the blob store; (ticket, sha256) makes a retried upload idempotent.
CREATE TABLE attachments (
    id           text PRIMARY KEY,
    ticket_id    text NOT NULL REFERENCES tickets (id),
    filename     text NOT NULL,
    content_type text NOT NULL,
    size         integer NOT NULL,
    sha256       text NOT NULL,
    blob_key     text NOT NULL,
    direction    text NOT NULL,
    created_by   text REFERENCES agents (id),
    created_at   timestamp NOT NULL
);
CREATE UNIQUE INDEX attachments_ticket_sha256_key ON attachments (ticket_id, sha256);
