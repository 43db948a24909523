DROP VIEW account_balances;
DROP VIEW unmatched_inbox_items;
