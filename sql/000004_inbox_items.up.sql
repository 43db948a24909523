-- Receipts and invoices forwarded to the inbox address. Amount and currency are filled
-- in once extraction has read them from the mail or its attachments.

CREATE TYPE inbox_item_status AS ENUM ('received', 'extracted', 'matched', 'ignored', 'failed');

CREATE TABLE inbox_items (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    message_id     text NOT NULL,
    sender         text NOT NULL,
    subject        text NOT NULL DEFAULT '',
    received_at    timestamptz NOT NULL,
    document_date  date,
    amount         numeric(19,4),
    currency       char(3),
    status         inbox_item_status NOT NULL DEFAULT 'received',
    error          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inbox_items_message_id_key UNIQUE (message_id),
    CONSTRAINT inbox_items_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT inbox_items_amount_with_currency CHECK ((amount IS NULL) = (currency IS NULL)),
    CONSTRAINT inbox_items_error_when_failed CHECK ((status = 'failed') = (error IS NOT NULL))
);

CREATE INDEX inbox_items_status_received_at_idx ON inbox_items (status, received_at DESC);

COMMENT ON TABLE inbox_items IS 'Forwarded receipts and invoices waiting to be matched to transactions.';
COMMENT ON COLUMN inbox_items.message_id IS 'RFC 5322 Message-ID of the forwarded mail; a re-delivered mail is not stored twice.';
COMMENT ON COLUMN inbox_items.amount IS 'Total read from the document; null until extracted.';
