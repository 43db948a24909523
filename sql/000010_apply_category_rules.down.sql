DROP TRIGGER transactions_apply_category_rules ON transactions;
DROP FUNCTION apply_category_rules();
