CREATE TABLE agents (
    id            text PRIMARY KEY,
    username      text NOT NULL,
    display_name  text NOT NULL,
    email         text NOT NULL DEFAULT '',
    roles         text NOT NULL,
    supervisor_id text REFERENCES agents (id),
    active        integer NOT NULL DEFAULT 1,
    password_hash text NOT NULL,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamp NOT NULL,
    updated_at    timestamp NOT NULL
);
CREATE UNIQUE INDEX agents_username_key ON agents (username);
CREATE INDEX agents_supervisor_idx ON agents (supervisor_id);

CREATE TABLE absences (
    id         text PRIMARY KEY,
    agent_id   text NOT NULL REFERENCES agents (id),
    starts_at  timestamp NOT NULL,
    ends_at    timestamp NOT NULL,
    reason     text NOT NULL DEFAULT '',
    created_at timestamp NOT NULL
);
CREATE INDEX absences_agent_period_idx ON absences (agent_id, starts_at, ends_at);

CREATE TABLE signing_keys (
    id          text PRIMARY KEY,
    private_key blob NOT NULL,
    public_key  blob NOT NULL,
    created_at  timestamp NOT NULL,
    retired_at  timestamp
);

CREATE TABLE refresh_tokens (
    id         text PRIMARY KEY,
    family_id  text NOT NULL,
    agent_id   text NOT NULL REFERENCES agents (id),
    token_hash text NOT NULL,
    expires_at timestamp NOT NULL,
    used_at    timestamp,
    revoked_at timestamp,
    created_at timestamp NOT NULL
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_agent_idx ON refresh_tokens (agent_id);
CREATE INDEX refresh_tokens_expiry_idx ON refresh_tokens (expires_at);

CREATE TABLE api_tokens (
    id         text PRIMARY KEY,
    agent_id   text NOT NULL REFERENCES agents (id),
    name       text NOT NULL,
    token_hash text NOT NULL,
    scopes     text NOT NULL,
    expires_at timestamp,
    revoked_at timestamp,
    created_at timestamp NOT NULL
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_agent_idx ON api_tokens (agent_id, created_at DESC, id DESC);

CREATE TABLE login_failures (
    username      text NOT NULL,
    ip            text NOT NULL,
    failures      integer NOT NULL,
    last_failed_at timestamp NOT NULL,
    blocked_until timestamp,
    PRIMARY KEY (username, ip)
);
CREATE INDEX login_failures_last_idx ON login_failures (last_failed_at);

CREATE TABLE idempotency_keys (
    scope           text NOT NULL,
    key             text NOT NULL,
    method          text NOT NULL,
    path            text NOT NULL,
    request_hash    text NOT NULL,
    state           text NOT NULL,
    response_status integer,
    response_type   text,
    response_headers text,
    response_body   blob,
    resource        text,
    created_at      timestamp NOT NULL,
    expires_at      timestamp NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

CREATE TABLE organisations (
    id                text PRIMARY KEY,
    name              text NOT NULL,
    sort_name         text NOT NULL,
    email             text NOT NULL DEFAULT '',
    phone             text NOT NULL DEFAULT '',
    address           text NOT NULL DEFAULT '',
    notes             text NOT NULL DEFAULT '',
    registered_client integer NOT NULL DEFAULT 0,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamp NOT NULL,
    updated_at        timestamp NOT NULL
);
CREATE INDEX organisations_sort_idx ON organisations (sort_name, id);

CREATE TABLE contacts (
    id                text PRIMARY KEY,
    first_name        text NOT NULL DEFAULT '',
    last_name         text NOT NULL DEFAULT '',
    email             text NOT NULL DEFAULT '',
    phone             text NOT NULL DEFAULT '',
    phone_e164        text NOT NULL DEFAULT '',
    job_title         text NOT NULL DEFAULT '',
    notes             text NOT NULL DEFAULT '',
    organisation_id   text REFERENCES organisations (id),
    individual        integer NOT NULL DEFAULT 0,
    registered_client integer NOT NULL DEFAULT 0,
    unidentified      integer NOT NULL,
    sort_name         text NOT NULL,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamp NOT NULL,
    updated_at        timestamp NOT NULL
);
CREATE INDEX contacts_sort_idx ON contacts (sort_name, id);
CREATE INDEX contacts_email_idx ON contacts (email) WHERE email <> '';
CREATE INDEX contacts_phone_idx ON contacts (phone_e164) WHERE phone_e164 <> '';
CREATE INDEX contacts_organisation_name_idx ON contacts (organisation_id, sort_name);

-- search_tokens holds the folded words of names, emails and phones, cut in
-- Go so that both databases match the same prefixes (byte order: "C").
CREATE TABLE search_tokens (
    entity_type text NOT NULL,
    token       text NOT NULL,
    entity_id   text NOT NULL,
    PRIMARY KEY (entity_type, token, entity_id)
);
-- (entity_id, token) serves both the rewrite of an entity's tokens and the
-- "does this row match that prefix" probe of a search.
CREATE INDEX search_tokens_entity_token_idx ON search_tokens (entity_id, token);

CREATE TABLE audit_events (
    id           text PRIMARY KEY,
    at           timestamp NOT NULL,
    actor_id     text,
    api_token_id text,
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    text,
    before       text,
    after        text,
    request_id   text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at_idx ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, at DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, at DESC);
