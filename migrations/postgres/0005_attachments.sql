-- Attachments: the scanned letters of the GED and other files, stored in
-- the blob store; (ticket, sha256) makes a retried upload idempotent.
CREATE TABLE attachments (
    id           uuid PRIMARY KEY,
    ticket_id    uuid NOT NULL REFERENCES tickets (id),
    filename     text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    sha256       text NOT NULL,
    blob_key     text NOT NULL,
    direction    text NOT NULL,
    created_by   uuid REFERENCES agents (id),
    created_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX attachments_ticket_sha256_key ON attachments (ticket_id, sha256);
