-- Spending categories (a tree: "Travel" > "Flights") and the rules that put transactions
-- into them. A rule matches when its ILIKE pattern matches the chosen field; among matching
-- rules the highest priority wins.

CREATE TABLE categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id   bigint REFERENCES categories (id) ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT categories_not_own_parent CHECK (parent_id <> id)
);

-- Names are unique among siblings; top-level categories have no parent to compare on.
CREATE UNIQUE INDEX categories_parent_name_key ON categories (parent_id, lower(name)) WHERE parent_id IS NOT NULL;
CREATE UNIQUE INDEX categories_top_level_name_key ON categories (lower(name)) WHERE parent_id IS NULL;

CREATE TABLE category_rules (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id  bigint NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    field        text NOT NULL DEFAULT 'counterparty',
    pattern      text NOT NULL,
    priority     integer NOT NULL DEFAULT 0,
    is_active    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT category_rules_field_check CHECK (field IN ('description', 'counterparty')),
    CONSTRAINT category_rules_pattern_check CHECK (pattern <> ''),
    CONSTRAINT category_rules_field_pattern_key UNIQUE (field, pattern)
);

CREATE INDEX category_rules_active_priority_idx ON category_rules (priority DESC, id) WHERE is_active;

ALTER TABLE transactions
    ADD COLUMN category_id bigint REFERENCES categories (id) ON DELETE SET NULL;

CREATE INDEX transactions_category_id_idx ON transactions (category_id);

COMMENT ON TABLE categories IS 'Spending and income categories, nested through parent_id.';
COMMENT ON TABLE category_rules IS 'Rules that categorise transactions by description or counterparty.';
COMMENT ON COLUMN category_rules.pattern IS 'ILIKE pattern, e.g. ''%lufthansa%''.';
COMMENT ON COLUMN category_rules.priority IS 'Higher wins when several rules match.';
