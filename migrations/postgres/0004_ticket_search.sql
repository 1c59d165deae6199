-- Full-text search of tickets (GET /tickets?q=). ticket_texts holds one
-- document per ticket, keyed by the ticket's seq: the words of its number,
-- subject, description and public timeline text, folded and split in Go
-- (internal/textsearch), without repeats, joined by single spaces. Both
-- databases hold the same documents and match a query term as a prefix of
-- a whole token, so they find the same tickets.
CREATE TABLE ticket_texts (
    seq    bigint PRIMARY KEY,
    tokens text NOT NULL
);

-- The tokens are the lexemes as they are: array_to_tsvector takes them
-- without the text-search parser, which would split or drop some (and
-- depends on the locale), where to_tsvector('simple', ...) would not
-- be byte-for-byte the Go tokens. Serves "seq of the tickets with a token
-- starting with p" ('p':* in a tsquery) for a rare term.
CREATE INDEX ticket_texts_tokens_idx ON ticket_texts
    USING gin (array_to_tsvector(string_to_array(tokens, ' ')));
