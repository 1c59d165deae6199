-- The message book ("cahier des messages"): a message taken for an agent or
-- for a role, reminded then escalated by River jobs until acknowledged.
CREATE TABLE messages (
    id                 uuid PRIMARY KEY,
    from_name          text NOT NULL,
    from_structure     text NOT NULL DEFAULT '',
    from_phone         text NOT NULL DEFAULT '',
    from_email         text NOT NULL DEFAULT '',
    contact_id         uuid REFERENCES contacts (id),
    reason             text NOT NULL,
    urgency            text NOT NULL,
    recipient_agent_id uuid REFERENCES agents (id),
    recipient_role     text,
    -- The call, visit or voicemail the message was taken from: no foreign
    -- key, interactions live in their own tables.
    interaction_id     uuid,
    ticket_id          uuid REFERENCES tickets (id),
    status             text NOT NULL,
    reminded_at        timestamptz,
    escalated_to       uuid REFERENCES agents (id),
    escalated_at       timestamptz,
    acknowledged_by    uuid REFERENCES agents (id),
    acknowledged_at    timestamptz,
    created_by         uuid REFERENCES agents (id),
    created_at         timestamptz NOT NULL,
    CHECK ((recipient_agent_id IS NULL) <> (recipient_role IS NULL))
);
-- Each serves "my messages" (or one recipient's) newest first.
CREATE INDEX messages_recipient_agent_idx ON messages (recipient_agent_id, created_at);
CREATE INDEX messages_recipient_role_idx ON messages (recipient_role, created_at);
CREATE INDEX messages_escalated_to_idx ON messages (escalated_to, created_at);
CREATE INDEX messages_contact_idx ON messages (contact_id, created_at);
CREATE INDEX messages_created_idx ON messages (created_at, id);

-- The appointment planning; one agent's appointments that are not
-- cancelled never overlap (checked under a per-agent lock).
CREATE TABLE appointments (
    id          uuid PRIMARY KEY,
    contact_id  uuid NOT NULL REFERENCES contacts (id),
    agent_id    uuid NOT NULL REFERENCES agents (id),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    reason      text NOT NULL DEFAULT '',
    location    text NOT NULL DEFAULT '',
    notes       text NOT NULL DEFAULT '',
    ticket_id   uuid REFERENCES tickets (id),
    status      text NOT NULL,
    prepared_by uuid REFERENCES agents (id),
    prepared_at timestamptz,
    created_by  uuid REFERENCES agents (id),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CHECK (ends_at > starts_at)
);
-- Serves the overlap check and the agent's planning.
CREATE INDEX appointments_agent_starts_idx ON appointments (agent_id, starts_at);
CREATE INDEX appointments_contact_starts_idx ON appointments (contact_id, starts_at);
CREATE INDEX appointments_starts_idx ON appointments (starts_at, id);

-- The directory of outside services ("annuaire des services du
-- territoire"); searched through search_tokens (entity_type
-- 'outside_service'), filtered on the folded domain.
CREATE TABLE outside_services (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    sort_name  text NOT NULL,
    domain     text NOT NULL,
    domain_key text NOT NULL,
    address    text NOT NULL DEFAULT '',
    phone      text NOT NULL DEFAULT '',
    email      text NOT NULL DEFAULT '',
    website    text NOT NULL DEFAULT '',
    hours      text NOT NULL DEFAULT '',
    notes      text NOT NULL DEFAULT '',
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX outside_services_sort_idx ON outside_services (sort_name, id);
CREATE INDEX outside_services_domain_idx ON outside_services (domain_key, sort_name, id);
