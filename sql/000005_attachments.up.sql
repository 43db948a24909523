-- Files that came with an inbox item (the PDF invoice, a photo of a receipt). The bytes
-- live in object storage; the database keeps where, what and a digest.

CREATE TABLE attachments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    inbox_item_id  uuid NOT NULL REFERENCES inbox_items (id) ON DELETE CASCADE,
    filename       text NOT NULL,
    content_type   text NOT NULL,
    size_bytes     bigint NOT NULL,
    sha256         bytea NOT NULL,
    storage_key    text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attachments_size_check CHECK (size_bytes >= 0),
    CONSTRAINT attachments_sha256_check CHECK (octet_length(sha256) = 32),
    CONSTRAINT attachments_storage_key_key UNIQUE (storage_key),
    -- The same file attached twice to one mail is stored once.
    CONSTRAINT attachments_item_sha256_key UNIQUE (inbox_item_id, sha256)
);

COMMENT ON TABLE attachments IS 'Files attached to inbox items; contents are in object storage under storage_key.';
