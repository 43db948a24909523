-- fmig:no-transaction
-- The matcher looks for transactions with the receipt's amount and currency within a few
-- days of its date, and for inbox items that are waiting for a match. Built concurrently so
-- a large transactions table stays writable meanwhile; that cannot run in a transaction.

CREATE INDEX CONCURRENTLY transactions_currency_amount_posted_on_idx
    ON transactions (currency, amount, posted_on);

CREATE INDEX CONCURRENTLY inbox_items_awaiting_match_idx
    ON inbox_items (currency, amount, document_date)
    WHERE status IN ('received', 'extracted');
