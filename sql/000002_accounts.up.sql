-- An account at an institution. Each account keeps its books in one currency; a
-- multi-currency wallet is modelled as one account per currency.

CREATE TABLE accounts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution_id   bigint NOT NULL REFERENCES institutions (id) ON DELETE RESTRICT,
    name             text NOT NULL,
    kind             text NOT NULL DEFAULT 'checking',
    iban             text,
    currency         char(3) NOT NULL,
    opening_balance  numeric(19,4) NOT NULL DEFAULT 0,
    opened_on        date,
    closed_on        date,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_kind_check CHECK (kind IN ('checking', 'savings', 'credit_card', 'cash', 'payment_provider')),
    CONSTRAINT accounts_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT accounts_iban_check CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
    CONSTRAINT accounts_closed_after_opened CHECK (closed_on IS NULL OR opened_on IS NULL OR closed_on >= opened_on),
    CONSTRAINT accounts_iban_key UNIQUE (iban),
    CONSTRAINT accounts_institution_name_key UNIQUE (institution_id, name)
);

COMMENT ON TABLE accounts IS 'Accounts held at an institution, one currency each.';
COMMENT ON COLUMN accounts.currency IS 'ISO 4217 code of the currency the account is kept in.';
COMMENT ON COLUMN accounts.opening_balance IS 'Balance before the first imported transaction.';
