-- Banks, card issuers and payment providers that hold the user's money.

CREATE TABLE institutions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    country     char(2) NOT NULL,
    bic         text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT institutions_name_key UNIQUE (name),
    CONSTRAINT institutions_country_check CHECK (country ~ '^[A-Z]{2}$'),
    -- ISO 9362: 4 bank + 2 country + 2 location, optionally 3 branch characters.
    CONSTRAINT institutions_bic_check CHECK (bic ~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$')
);

COMMENT ON TABLE institutions IS 'Banks, card issuers and payment providers holding accounts.';
COMMENT ON COLUMN institutions.country IS 'ISO 3166-1 alpha-2 country code.';
