-- Keeps updated_at current on every table that has one, so the API and sync jobs can ask
-- "what changed since" without trusting every writer to set it.

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION set_updated_at() IS 'Trigger function: sets updated_at to the transaction time on update.';

-- WHEN skips no-op updates, so re-saving an unchanged row keeps its timestamp.
CREATE TRIGGER institutions_set_updated_at BEFORE UPDATE ON institutions
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER accounts_set_updated_at BEFORE UPDATE ON accounts
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER inbox_items_set_updated_at BEFORE UPDATE ON inbox_items
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER categories_set_updated_at BEFORE UPDATE ON categories
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER category_rules_set_updated_at BEFORE UPDATE ON category_rules
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at();
