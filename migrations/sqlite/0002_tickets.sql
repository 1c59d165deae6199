-- Procedures as data: every version is kept; tickets point at the version
-- they started with.
CREATE TABLE procedure_versions (
    id           text PRIMARY KEY,
    code         text NOT NULL,
    version      text NOT NULL,
    title        text NOT NULL,
    definition   text NOT NULL,
    status       text NOT NULL,
    change_note  text NOT NULL DEFAULT '',
    created_by   text REFERENCES agents (id),
    created_at   timestamp NOT NULL,
    published_by text REFERENCES agents (id),
    published_at timestamp
);
CREATE UNIQUE INDEX procedure_versions_code_version_key ON procedure_versions (code, version);
CREATE UNIQUE INDEX procedure_versions_published_key ON procedure_versions (code) WHERE status = 'published';

CREATE TABLE procedure_approvals (
    version_id  text NOT NULL REFERENCES procedure_versions (id),
    agent_id    text NOT NULL REFERENCES agents (id),
    comment     text NOT NULL DEFAULT '',
    approved_at timestamp NOT NULL,
    PRIMARY KEY (version_id, agent_id)
);

-- Settings edited through the API (calendar, response policies, mapping).
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    version    integer NOT NULL,
    updated_at timestamp NOT NULL
);

-- One row per Paris calendar year: the last ticket number given.
CREATE TABLE ticket_counters (
    year     integer PRIMARY KEY,
    last_seq integer NOT NULL
);

CREATE TABLE tickets (
    id                        text PRIMARY KEY,
    -- seq = year * 1e9 + number: unique, and increasing with creation, so
    -- that "newest first" is one index walk.
    seq                       integer NOT NULL,
    number                    text NOT NULL,
    subject                   text NOT NULL,
    description               text NOT NULL DEFAULT '',
    channel                   text NOT NULL,
    category                  text NOT NULL,
    urgency                   text NOT NULL,
    level                     integer NOT NULL,
    status                    text NOT NULL,
    state                     text NOT NULL,
    procedure_id              text NOT NULL REFERENCES procedure_versions (id),
    assignee_id               text REFERENCES agents (id),
    contact_id                text REFERENCES contacts (id),
    organisation_id           text REFERENCES organisations (id),
    file_reference            text NOT NULL DEFAULT '',
    tags                      text NOT NULL DEFAULT '[]',
    external_links            text NOT NULL DEFAULT '[]',
    due_at                    timestamp,
    awaiting_registered_reply integer NOT NULL DEFAULT 0,
    received_at               timestamp NOT NULL,
    merged_into_id            text REFERENCES tickets (id),
    created_by                text REFERENCES agents (id),
    version                   integer NOT NULL DEFAULT 1,
    created_at                timestamp NOT NULL,
    updated_at                timestamp NOT NULL,
    closed_at                 timestamp
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
    ticket_id  text NOT NULL REFERENCES tickets (id),
    other_id   text NOT NULL REFERENCES tickets (id),
    relation   text NOT NULL,
    created_at timestamp NOT NULL,
    PRIMARY KEY (ticket_id, other_id, relation)
);
CREATE INDEX ticket_links_other_idx ON ticket_links (other_id, relation);

CREATE TABLE ticket_events (
    id         text PRIMARY KEY,
    ticket_id  text NOT NULL REFERENCES tickets (id),
    kind       text NOT NULL,
    internal   integer NOT NULL DEFAULT 0,
    actor_id   text REFERENCES agents (id),
    body       text NOT NULL DEFAULT '',
    data       text NOT NULL DEFAULT '{}',
    created_at timestamp NOT NULL
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, id);

-- Clocks: due dates with their explanation; one periodic job sweeps them.
CREATE TABLE ticket_clocks (
    id          text PRIMARY KEY,
    ticket_id   text NOT NULL REFERENCES tickets (id),
    kind        text NOT NULL,
    channel     text NOT NULL DEFAULT '',
    registered  integer NOT NULL DEFAULT 0,
    started_at  timestamp NOT NULL,
    policy      text NOT NULL,
    due_at      timestamp,
    explanation text NOT NULL DEFAULT '{}',
    closed_at   timestamp,
    created_at  timestamp NOT NULL
);
CREATE INDEX ticket_clocks_ticket_idx ON ticket_clocks (ticket_id);
CREATE INDEX ticket_clocks_open_due_idx ON ticket_clocks (due_at) WHERE closed_at IS NULL;

-- Periods when the ticket waited for the client: no clock runs.
CREATE TABLE ticket_waits (
    id         text PRIMARY KEY,
    ticket_id  text NOT NULL REFERENCES tickets (id),
    started_at timestamp NOT NULL,
    ended_at   timestamp
);
CREATE INDEX ticket_waits_ticket_idx ON ticket_waits (ticket_id);

CREATE TABLE dev_tickets (
    id                 text PRIMARY KEY,
    ticket_id          text NOT NULL REFERENCES tickets (id),
    title              text NOT NULL,
    description        text NOT NULL,
    reproduction_steps text NOT NULL,
    environment        text NOT NULL,
    observed_results   text NOT NULL,
    expected_results   text NOT NULL,
    urgency            text NOT NULL,
    developer_id       text NOT NULL REFERENCES agents (id),
    due_at             timestamp NOT NULL,
    status             text NOT NULL,
    created_by         text REFERENCES agents (id),
    created_at         timestamp NOT NULL,
    done_at            timestamp
);
CREATE INDEX dev_tickets_ticket_idx ON dev_tickets (ticket_id);

-- The client notification outbox: sending by email is a later step.
CREATE TABLE client_notifications (
    id         text PRIMARY KEY,
    ticket_id  text NOT NULL REFERENCES tickets (id),
    contact_id text REFERENCES contacts (id),
    template   text NOT NULL,
    data       text NOT NULL,
    status     text NOT NULL,
    created_at timestamp NOT NULL,
    sent_at    timestamp
);
CREATE INDEX client_notifications_ticket_idx ON client_notifications (ticket_id, id);
CREATE INDEX client_notifications_pending_idx ON client_notifications (id) WHERE status = 'pending';

CREATE TABLE agent_notifications (
    id         text PRIMARY KEY,
    agent_id   text NOT NULL REFERENCES agents (id),
    ticket_id  text REFERENCES tickets (id),
    kind       text NOT NULL,
    message    text NOT NULL,
    read_at    timestamp,
    created_at timestamp NOT NULL
);
CREATE INDEX agent_notifications_agent_idx ON agent_notifications (agent_id, id);
