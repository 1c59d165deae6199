-- The reception books (issue 4): calls, voicemails, visits, letters and
-- bailiff acts in one table, a kind column and each kind's columns. Every
-- filter of the books is an index walk newest first: (x, occurred_at, id).
-- intervenant_id and appointment_id are kept as given: their tables are
-- checked by the services that own them.
CREATE TABLE interactions (
    id                     uuid PRIMARY KEY,
    kind                   text NOT NULL,
    occurred_at            timestamptz NOT NULL,
    agent_id               uuid NOT NULL REFERENCES agents (id),
    contact_id             uuid REFERENCES contacts (id),
    intervenant_id         uuid,
    identity_name          text NOT NULL DEFAULT '',
    identity_structure     text NOT NULL DEFAULT '',
    identity_phone         text NOT NULL DEFAULT '',
    identity_email         text NOT NULL DEFAULT '',
    reason                 text NOT NULL DEFAULT '',
    notes                  text NOT NULL DEFAULT '',
    -- Calls and visits.
    direction              text NOT NULL DEFAULT '',
    outcome                text NOT NULL DEFAULT '',
    transferred_to         uuid REFERENCES agents (id),
    oriented_to            text NOT NULL DEFAULT '',
    -- Voicemails.
    consulted_by           uuid REFERENCES agents (id),
    consulted_at           timestamp,
    -- Visits.
    appointment_id         uuid,
    walk_in                boolean NOT NULL DEFAULT false,
    -- Letters and bailiff acts: the lifecycle and the scan (a blob).
    letter_status          text NOT NULL DEFAULT '',
    registered             boolean NOT NULL DEFAULT false,
    tracking_number        text NOT NULL DEFAULT '',
    scan_blob_key          text,
    scan_filename          text NOT NULL DEFAULT '',
    scan_content_type      text NOT NULL DEFAULT '',
    scan_size              bigint NOT NULL DEFAULT 0,
    scan_sha256            text NOT NULL DEFAULT '',
    scanned_at             timestamp,
    scanned_by             uuid REFERENCES agents (id),
    processed_at           timestamp,
    answered_at            timestamp,
    archived_at            timestamp,
    -- Bailiff acts.
    act_type               text NOT NULL DEFAULT '',
    served_at              timestamp,
    bailiff_name           text NOT NULL DEFAULT '',
    bailiff_office         text NOT NULL DEFAULT '',
    organisation_id        uuid REFERENCES organisations (id),
    deadline               timestamp,
    -- Oral exchanges confirmed in writing; unconfirmed = needs it, not yet done.
    needs_confirmation     boolean NOT NULL DEFAULT false,
    unconfirmed            boolean NOT NULL DEFAULT false,
    confirmed_at           timestamp,
    confirmed_by           uuid REFERENCES agents (id),
    confirmation_ticket_id uuid REFERENCES tickets (id),
    confirmation_text      text NOT NULL DEFAULT '',
    version                integer NOT NULL DEFAULT 1,
    created_by             uuid REFERENCES agents (id),
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);
CREATE INDEX interactions_occurred_idx ON interactions (occurred_at, id);
CREATE INDEX interactions_kind_idx ON interactions (kind, occurred_at, id);
CREATE INDEX interactions_agent_idx ON interactions (agent_id, occurred_at, id);
CREATE INDEX interactions_contact_idx ON interactions (contact_id, occurred_at, id);
CREATE INDEX interactions_intervenant_idx ON interactions (intervenant_id, occurred_at, id);
CREATE INDEX interactions_outcome_idx ON interactions (outcome, occurred_at, id);
CREATE INDEX interactions_unconfirmed_idx ON interactions (unconfirmed, occurred_at, id);
CREATE INDEX interactions_letter_status_idx ON interactions (kind, letter_status, occurred_at, id);
CREATE INDEX interactions_scan_blob_idx ON interactions (scan_blob_key) WHERE scan_blob_key IS NOT NULL;

-- The tickets an interaction is about, one per subject: opened by it, or
-- linked to it.
CREATE TABLE interaction_tickets (
    interaction_id uuid NOT NULL REFERENCES interactions (id),
    ticket_id      uuid NOT NULL REFERENCES tickets (id),
    opened         boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (interaction_id, ticket_id)
);
CREATE INDEX interaction_tickets_ticket_idx ON interaction_tickets (ticket_id);

-- Merges delete a duplicate attachment's blob unless something else (a
-- letter's scan shared with its tickets) still uses it.
CREATE INDEX attachments_blob_key_idx ON attachments (blob_key);
