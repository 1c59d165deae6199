-- "Overdue" lists walk the open tickets newest first and keep those past
-- their due date: with due_at in the index the walk never reads the table.
DROP INDEX tickets_status_seq_idx;
CREATE INDEX tickets_status_seq_due_idx ON tickets (status, seq, due_at);
