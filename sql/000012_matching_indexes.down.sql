-- fmig:no-transaction

DROP INDEX CONCURRENTLY inbox_items_awaiting_match_idx;

DROP INDEX CONCURRENTLY transactions_currency_amount_posted_on_idx;
