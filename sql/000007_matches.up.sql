-- fmig:parent 000005
-- Links between inbox items and the transactions that paid them. The matcher proposes
-- candidates with a confidence; a person (or a confident enough match) confirms one.
-- Developed alongside 000006_categories, on the same parent; 000008 joins the two.

CREATE TABLE matches (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inbox_item_id   uuid NOT NULL REFERENCES inbox_items (id) ON DELETE CASCADE,
    transaction_id  bigint NOT NULL REFERENCES transactions (id) ON DELETE CASCADE,
    confidence      numeric(4,3) NOT NULL,
    matched_by      text NOT NULL,
    matched_at      timestamptz NOT NULL DEFAULT now(),
    confirmed_at    timestamptz,
    CONSTRAINT matches_confidence_check CHECK (confidence BETWEEN 0 AND 1),
    CONSTRAINT matches_matched_by_check CHECK (matched_by IN ('auto', 'user')),
    CONSTRAINT matches_item_transaction_key UNIQUE (inbox_item_id, transaction_id)
);

-- An inbox item is settled by at most one confirmed transaction.
CREATE UNIQUE INDEX matches_one_confirmed_per_item ON matches (inbox_item_id) WHERE confirmed_at IS NOT NULL;
CREATE INDEX matches_transaction_id_idx ON matches (transaction_id);

COMMENT ON TABLE matches IS 'Candidate and confirmed links between inbox items and transactions.';
COMMENT ON COLUMN matches.confidence IS 'Matcher score from 0 to 1; 1 for matches made by hand.';
COMMENT ON COLUMN matches.confirmed_at IS 'Null while the match is only a suggestion.';
