-- fmig:parent 000006 000007
-- Merges the categories and matches branches. The view needs both: it shows each confirmed
-- receipt next to the transaction it settled and that transaction's category.

CREATE VIEW confirmed_matches AS
SELECT m.id             AS match_id,
       i.id             AS inbox_item_id,
       i.sender,
       i.subject,
       t.id             AS transaction_id,
       t.account_id,
       t.posted_on,
       t.amount,
       t.currency,
       t.counterparty,
       c.name           AS category,
       m.confidence,
       m.matched_by,
       m.confirmed_at
  FROM matches m
  JOIN inbox_items i ON i.id = m.inbox_item_id
  JOIN transactions t ON t.id = m.transaction_id
  LEFT JOIN categories c ON c.id = t.category_id
 WHERE m.confirmed_at IS NOT NULL;

COMMENT ON VIEW confirmed_matches IS 'Confirmed receipt-to-transaction matches with the transaction''s category.';
