-- Two read models the app shows on its front page: receipts still waiting for a
-- transaction, and each account's current balance.

-- Items that still need attention: not ignored, and no confirmed match yet.
CREATE VIEW unmatched_inbox_items AS
SELECT i.id,
       i.sender,
       i.subject,
       i.received_at,
       i.document_date,
       i.amount,
       i.currency,
       i.status,
       (SELECT count(*) FROM attachments a WHERE a.inbox_item_id = i.id) AS attachment_count,
       (SELECT max(m.confidence) FROM matches m WHERE m.inbox_item_id = i.id) AS best_candidate_confidence
  FROM inbox_items i
 WHERE i.status <> 'ignored'
   AND NOT EXISTS (
           SELECT 1
             FROM matches m
            WHERE m.inbox_item_id = i.id
              AND m.confirmed_at IS NOT NULL
       );

COMMENT ON VIEW unmatched_inbox_items IS 'Inbox items without a confirmed match, with their attachment count and best candidate score.';

-- Only transactions in the account's own currency count towards its balance; a foreign
-- currency line is shown in foreign_currency_transactions for the user to review.
CREATE VIEW account_balances AS
SELECT a.id AS account_id,
       a.institution_id,
       a.name,
       a.currency,
       a.opening_balance
         + coalesce(sum(t.amount) FILTER (WHERE t.currency = a.currency), 0) AS balance,
       count(t.id) FILTER (WHERE t.currency <> a.currency) AS foreign_currency_transactions,
       max(t.posted_on) AS last_posted_on
  FROM accounts a
  LEFT JOIN transactions t ON t.account_id = a.id
 GROUP BY a.id;

COMMENT ON VIEW account_balances IS 'Opening balance plus every transaction in the account''s currency.';
