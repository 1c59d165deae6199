-- An interaction logged with an intervenant keeps the mandate check made
-- when it happened; those without a valid mandate are flagged for
-- follow-up ("toujours s'assurer que l'interlocuteur soit dûment mandaté").
ALTER TABLE interactions ADD COLUMN mandate_status text;
ALTER TABLE interactions ADD COLUMN mandate_detail text NOT NULL DEFAULT '';
ALTER TABLE interactions ADD COLUMN mandate_id uuid;
ALTER TABLE interactions ADD COLUMN mandate_flagged boolean NOT NULL DEFAULT false;
CREATE INDEX interactions_mandate_flagged_idx ON interactions (mandate_flagged, occurred_at, id);

-- The visit logged against an appointment.
ALTER TABLE appointments ADD COLUMN visit_id uuid REFERENCES interactions (id);
