-- Full-text search of tickets (GET /tickets?q=). ticket_texts holds one
-- document per ticket, keyed by the ticket's seq (the rowid here): the
-- words of its number, subject, description and public timeline text,
-- folded and split in Go (internal/textsearch), without repeats, joined by
-- single spaces. Both databases hold the same documents and match a query
-- term as a prefix of a whole token, so they find the same tickets.
--
-- A token is made of letters and digits only (textsearch.Words). The ascii
-- tokenizer splits on ASCII characters other than letters and digits and
-- keeps every other byte, so it splits these documents exactly on their
-- spaces and never alters a token (unicode61 has its own, older, idea of
-- what a letter is, and would fold case again).
--
-- detail=none: queries are AND-ed word prefixes, never phrases, so only
-- rowids are indexed. The document is stored (not contentless): a search
-- reads it to check a row against its terms when it walks the list order
-- (internal/store/ticketsearch.go). No prefix= index: a prefix common
-- enough to make a merged doclist expensive is answered by that walk.
CREATE VIRTUAL TABLE ticket_texts USING fts5(
    tokens,
    tokenize = 'ascii',
    detail = none,
    columnsize = 0
);
