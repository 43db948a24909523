-- Booked transactions as imported from bank statements or feeds. Money is exact decimal
-- (never float); negative amounts leave the account, positive ones come in.

CREATE TABLE transactions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    external_id   text,
    posted_on     date NOT NULL,
    value_on      date,
    amount        numeric(19,4) NOT NULL,
    currency      char(3) NOT NULL,
    description   text NOT NULL DEFAULT '',
    counterparty  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT transactions_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT transactions_amount_nonzero CHECK (amount <> 0),
    -- Re-importing a statement must not book the same line twice.
    CONSTRAINT transactions_account_external_id_key UNIQUE (account_id, external_id)
);

CREATE INDEX transactions_account_posted_on_idx ON transactions (account_id, posted_on DESC);

COMMENT ON TABLE transactions IS 'Booked bank and card transactions.';
COMMENT ON COLUMN transactions.external_id IS 'The bank''s own id for the line, used to skip duplicates on re-import.';
COMMENT ON COLUMN transactions.amount IS 'Signed amount: negative for money out, positive for money in.';
