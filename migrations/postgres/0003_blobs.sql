-- Attachment content for blob.DB (internal/blob): a blobs row per blob,
-- its bytes in blob_chunks rows of 256 KiB, read back one by (blob_key, seq).
CREATE TABLE blobs (
    key          text PRIMARY KEY,
    size         bigint NOT NULL,
    sha256       text NOT NULL,
    content_type text NOT NULL,
    created_at   timestamptz NOT NULL
);

-- Deferred so that an upload can insert its chunks before its blobs row,
-- whose size and digest are known only at the end of the stream.
CREATE TABLE blob_chunks (
    blob_key text NOT NULL REFERENCES blobs (key) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    seq      integer NOT NULL,
    data     bytea NOT NULL,
    PRIMARY KEY (blob_key, seq)
);
