DROP INDEX transactions_category_id_idx;
ALTER TABLE transactions DROP COLUMN category_id;
DROP TABLE category_rules;
DROP TABLE categories;
