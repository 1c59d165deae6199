-- Procedures as data: every version is kept; tickets point at the version
-- they started with.
CREATE TABLE procedure_versions (
    id           uuid PRIMARY KEY,
    code         text NOT NULL,
    version      text NOT NULL,
    title        text NOT NULL,
    definition   text NOT NULL,
    status       text NOT NULL,
    change_note  text NOT NULL DEFAULT '',
    created_by   uuid REFERENCES agents (id),
    created_at   timestamptz NOT NULL,
    published_by uuid REFERENCES agents (id),
    published_at timestamptz
);
CREATE UNIQUE INDEX procedure_versions_code_version_key ON procedure_versions (code, version);
CREATE UNIQUE INDEX procedure_versions_published_key ON procedure_versions (code) WHERE status = 'published';

CREATE TABLE procedure_approvals (
    version_id  uuid NOT NULL REFERENCES procedure_versions (id),
    agent_id    uuid NOT NULL REFERENCES agents (id),
    comment     text NOT NULL DEFAULT '',
    approved_at timestamptz NOT NULL,
    PRIMARY KEY (version_id, agent_id)
);

-- Settings edited through the API (calendar, response policies, mapping).
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    version    integer NOT NULL,
    updated_at timestamptz NOT NULL
);

-- One row per Paris calendar year: the last ticket number given.
CREATE TABLE ticket_counters (
    year     integer PRIMARY KEY,
    last_seq bigint NOT NULL
);

CREATE TABLE tickets (
    id                        uuid PRIMARY KEY,
    -- seq = year * 1e9 + number: unique, and increasing with creation, so
    -- that "newest first" is one index walk.
    seq                       bigint NOT NULL,
    number                    text NOT NULL,
    subject                   text NOT NULL,
    description               text NOT NULL DEFAULT '',
    channel                   text NOT NULL,
    category                  text NOT NULL,
    urgency                   text NOT NULL,
    level                     integer NOT NULL,
    status                    text NOT NULL,
    state                     text NOT NULL,
    procedure_id              uuid NOT NULL REFERENCES procedure_versions (id),
    assignee_id               uuid REFERENCES agents (id),
    contact_id                uuid REFERENCES contacts (id),
    organisation_id           uuid REFERENCES organisations (id),
    file_reference            text NOT NULL DEFAULT '',
    tags                      text NOT NULL DEFAULT '[]',
    external_links            text NOT NULL DEFAULT '[]',
    due_at                    timestamptz,
    awaiting_registered_reply boolean NOT NULL DEFAULT false,
    received_at               timestamptz NOT NULL,
    merged_into_id            uuid REFERENCES tickets (id),
    created_by                uuid REFERENCES agents (id),
    version                   integer NOT NULL DEFAULT 1,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    closed_at                 timestamptz
);
CREATE UNIQUE INDEX tickets_seq_key ON tickets (seq);
CREATE UNIQUE INDEX tickets_number_key ON tickets (number);
CREATE INDEX tickets_status_seq_idx ON tickets (status, seq);
CREATE INDEX tickets_state_seq_idx ON tickets (state, seq);
CREATE INDEX tickets_category_seq_idx ON tickets (category, seq);
CREATE INDEX tickets_channel_seq_idx ON tickets (channel, seq);
CREATE INDEX tickets_level_seq_idx ON tickets (level, seq);
CREATE INDEX tickets_assignee_seq_idx ON tickets (assignee_id, seq);
CREATE INDEX tickets_contact_seq_idx ON tickets (contact_id, seq);
CREATE INDEX tickets_organisation_seq_idx ON tickets (organisation_id, seq);
CREATE INDEX tickets_due_idx ON tickets (due_at, seq) WHERE due_at IS NOT NULL;

CREATE TABLE ticket_links (
    ticket_id  uuid NOT NULL REFERENCES tickets (id),
    other_id   uuid NOT NULL REFERENCES tickets (id),
    relation   text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, other_id, relation)
);
CREATE INDEX ticket_links_other_idx ON ticket_links (other_id, relation);

CREATE TABLE ticket_events (
    id         uuid PRIMARY KEY,
    ticket_id  uuid NOT NULL REFERENCES tickets (id),
    kind       text NOT NULL,
    internal   boolean NOT NULL DEFAULT false,
    actor_id   uuid REFERENCES agents (id),
    body       text NOT NULL DEFAULT '',
    data       text NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, id);

-- Clocks: due dates with their explanation; one periodic job sweeps them.
CREATE TABLE ticket_clocks (
    id          uuid PRIMARY KEY,
    ticket_id   uuid NOT NULL REFERENCES tickets (id),
    kind        text NOT NULL,
    channel     text NOT NULL DEFAULT '',
    registered  boolean NOT NULL DEFAULT false,
    started_at  timestamptz NOT NULL,
    policy      text NOT NULL,
    due_at      timestamptz,
    explanation text NOT NULL DEFAULT '{}',
    closed_at   timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX ticket_clocks_ticket_idx ON ticket_clocks (ticket_id);
CREATE INDEX ticket_clocks_open_due_idx ON ticket_clocks (due_at) WHERE closed_at IS NULL;

-- Periods when the ticket waited for the client: no clock runs.
CREATE TABLE ticket_waits (
    id         uuid PRIMARY KEY,
    ticket_id  uuid NOT NULL REFERENCES tickets (id),
    started_at timestamptz NOT NULL,
    ended_at   timestamptz
);
CREATE INDEX ticket_waits_ticket_idx ON ticket_waits (ticket_id);

CREATE TABLE dev_tickets (
    id                 uuid PRIMARY KEY,
    ticket_id          uuid NOT NULL REFERENCES tickets (id),
    title              text NOT NULL,
    description        text NOT NULL,
    reproduction_steps text NOT NULL,
    environment        text NOT NULL,
    observed_results   text NOT NULL,
    expected_results   text NOT NULL,
    urgency            text NOT NULL,
    developer_id       uuid NOT NULL REFERENCES agents (id),
    due_at             timestamptz NOT NULL,
    status             text NOT NULL,
    created_by         uuid REFERENCES agents (id),
    created_at         timestamptz NOT NULL,
    done_at            timestamptz
);
CREATE INDEX dev_tickets_ticket_idx ON dev_tickets (ticket_id);

-- The client notification outbox: sending by email is a later step.
CREATE TABLE client_notifications (
    id         uuid PRIMARY KEY,
    ticket_id  uuid NOT NULL REFERENCES tickets (id),
    contact_id uuid REFERENCES contacts (id),
    template   text NOT NULL,
    data       text NOT NULL,
    status     text NOT NULL,
    created_at timestamptz NOT NULL,
    sent_at    timestamptz
);
CREATE INDEX client_notifications_ticket_idx ON client_notifications (ticket_id, id);
CREATE INDEX client_notifications_pending_idx ON client_notifications (id) WHERE status = 'pending';

CREATE TABLE agent_notifications (
    id         uuid PRIMARY KEY,
    agent_id   uuid NOT NULL REFERENCES agents (id),
    ticket_id  uuid REFERENCES tickets (id),
    kind       text NOT NULL,
    message    text NOT NULL,
    read_at    timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX agent_notifications_agent_idx ON agent_notifications (agent_id, id);
