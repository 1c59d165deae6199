-- Mailbox checks (procedure #46: on arrival, early afternoon, before
-- leaving). Slots are computed from the schedule; only the checks and the
-- alerts already raised for missed slots are stored.
CREATE TABLE mailbox_checks (
    id         uuid PRIMARY KEY,
    mailbox_id uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    agent_id   uuid NOT NULL REFERENCES agents (id),
    checked_at timestamptz NOT NULL,
    note       text NOT NULL DEFAULT ''
);
CREATE INDEX mailbox_checks_mailbox_at_idx ON mailbox_checks (mailbox_id, checked_at);

-- One alert per missed slot, whichever replica's sweep sees it first.
CREATE TABLE mailbox_missed_checks (
    mailbox_id uuid NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    slot_at    timestamptz NOT NULL,
    alerted_to uuid REFERENCES agents (id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (mailbox_id, slot_at)
);
