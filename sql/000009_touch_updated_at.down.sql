DROP TRIGGER category_rules_set_updated_at ON category_rules;
DROP TRIGGER categories_set_updated_at ON categories;
DROP TRIGGER inbox_items_set_updated_at ON inbox_items;
DROP TRIGGER accounts_set_updated_at ON accounts;
DROP TRIGGER institutions_set_updated_at ON institutions;
DROP FUNCTION set_updated_at();
