-- Intervenants: the third parties of procedure 20 04 01 03 (huissiers,
-- notaires, artisans…). Searched like contacts through search_tokens.
CREATE TABLE intervenants (
    id                   text PRIMARY KEY,
    name                 text NOT NULL,
    structure            text NOT NULL DEFAULT '',
    sort_name            text NOT NULL,
    kind                 text NOT NULL,
    category             text NOT NULL,
    preferred_channel    text NOT NULL,
    email                text NOT NULL DEFAULT '',
    phone                text NOT NULL DEFAULT '',
    phone_e164           text NOT NULL DEFAULT '',
    address              text NOT NULL DEFAULT '',
    notes                text NOT NULL DEFAULT '',
    -- The direction's agreement of a technical intervenant.
    agreement_status     text NOT NULL,
    agreement_decided_by text REFERENCES agents (id),
    agreement_decided_at timestamp,
    agreement_reason     text NOT NULL DEFAULT '',
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamp NOT NULL,
    updated_at           timestamp NOT NULL
);
CREATE INDEX intervenants_sort_idx ON intervenants (sort_name, id);

-- Mandates bind an intervenant to one registered client (a contact or an
-- organisation) for a period of civil days ('YYYY-MM-DD', Europe/Paris,
-- both included; valid_until NULL is open-ended) and a scope of ticket
-- categories (a JSON array). A revoked mandate is kept: what was done
-- under it stays explained.
CREATE TABLE mandates (
    id                    text PRIMARY KEY,
    intervenant_id        text NOT NULL REFERENCES intervenants (id),
    contact_id            text REFERENCES contacts (id),
    organisation_id       text REFERENCES organisations (id),
    direction             text NOT NULL,
    valid_from            text NOT NULL,
    valid_until           text,
    scope                 text NOT NULL,
    notes                 text NOT NULL DEFAULT '',
    document_blob_key     text,
    document_filename     text NOT NULL DEFAULT '',
    document_content_type text NOT NULL DEFAULT '',
    document_size         integer NOT NULL DEFAULT 0,
    document_sha256       text NOT NULL DEFAULT '',
    document_uploaded_at  timestamp,
    document_uploaded_by  text REFERENCES agents (id),
    revoked_at            timestamp,
    revoked_by            text REFERENCES agents (id),
    created_by            text REFERENCES agents (id),
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamp NOT NULL,
    updated_at            timestamp NOT NULL,
    CHECK ((contact_id IS NULL) <> (organisation_id IS NULL))
);
CREATE INDEX mandates_intervenant_idx ON mandates (intervenant_id, id);
-- A mandate check looks up an intervenant's mandates of one client.
CREATE INDEX mandates_contact_idx ON mandates (contact_id, intervenant_id) WHERE contact_id IS NOT NULL;
CREATE INDEX mandates_organisation_idx ON mandates (organisation_id, intervenant_id) WHERE organisation_id IS NOT NULL;

-- Disclosures: information from a client's file shared with an
-- intervenant (who, when, what), under a mandate or to an authority.
CREATE TABLE disclosures (
    id              text PRIMARY KEY,
    intervenant_id  text NOT NULL REFERENCES intervenants (id),
    contact_id      text REFERENCES contacts (id),
    organisation_id text REFERENCES organisations (id),
    category        text NOT NULL,
    summary         text NOT NULL,
    basis           text NOT NULL,
    mandate_id      text REFERENCES mandates (id),
    disclosed_by    text REFERENCES agents (id),
    disclosed_at    timestamp NOT NULL
);
CREATE INDEX disclosures_intervenant_idx ON disclosures (intervenant_id, id);

-- A ticket opened at an intervenant's request, and a works request's
-- approved artisan with its external (Redmine) project.
ALTER TABLE tickets ADD COLUMN requested_by_intervenant_id text REFERENCES intervenants (id);
ALTER TABLE tickets ADD COLUMN works_intervenant_id text REFERENCES intervenants (id);
ALTER TABLE tickets ADD COLUMN works_external_project text NOT NULL DEFAULT '';
CREATE INDEX tickets_requested_by_idx ON tickets (requested_by_intervenant_id) WHERE requested_by_intervenant_id IS NOT NULL;
CREATE INDEX tickets_works_intervenant_idx ON tickets (works_intervenant_id) WHERE works_intervenant_id IS NOT NULL;
