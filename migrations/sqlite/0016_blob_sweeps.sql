-- Orphan blobs: a process killed between storing a blob and committing the
-- row that refers to it (an upload, a batch of ingested mail) leaves a blob
-- nobody uses. A periodic sweep deletes those older than a grace period;
-- it walks keys (time-ordered UUIDv7) from where it stopped last time.
CREATE TABLE blob_sweeps (
    id          integer PRIMARY KEY,
    swept_until text NOT NULL,
    updated_at  timestamp NOT NULL
);

-- The sweep asks which of a batch of keys are used.
CREATE INDEX mail_attachments_blob_idx ON mail_attachments (blob_key) WHERE blob_key IS NOT NULL;
CREATE INDEX mail_messages_raw_blob_idx ON mail_messages (raw_blob_key) WHERE raw_blob_key IS NOT NULL;
CREATE INDEX mandates_document_blob_idx ON mandates (document_blob_key) WHERE document_blob_key IS NOT NULL;
CREATE INDEX mail_outbox_blob_idx ON mail_outbox (blob_key) WHERE blob_key IS NOT NULL;

-- A processed mail gives its attachments to the tickets it goes to, once
-- each: their digest tells them apart.
ALTER TABLE mail_attachments ADD COLUMN sha256 text NOT NULL DEFAULT '';

-- A mail's sender is looked up among intervenants too (a mandated one may
-- write on the client's tickets).
CREATE INDEX intervenants_email_idx ON intervenants (email) WHERE email <> '';
