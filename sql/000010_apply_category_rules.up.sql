-- Categorises new transactions on the way in: a transaction imported without a category
-- gets the category of the highest-priority active rule that matches it (ties: oldest rule).
-- An explicit category from the importer is kept as it is.

CREATE FUNCTION apply_category_rules() RETURNS trigger
LANGUAGE plpgsql
AS $body$
DECLARE
    found_category bigint;
BEGIN
    SELECT r.category_id
      INTO found_category
      FROM category_rules r
     WHERE r.is_active
       AND CASE r.field
               WHEN 'description' THEN NEW.description ILIKE r.pattern
               WHEN 'counterparty' THEN coalesce(NEW.counterparty, '') ILIKE r.pattern
           END
     ORDER BY r.priority DESC, r.id
     LIMIT 1;
    NEW.category_id := found_category;
    RETURN NEW;
END;
$body$;

COMMENT ON FUNCTION apply_category_rules() IS 'Trigger function: picks a category for an uncategorised transaction from category_rules.';

CREATE TRIGGER transactions_apply_category_rules BEFORE INSERT ON transactions
    FOR EACH ROW WHEN (NEW.category_id IS NULL) EXECUTE FUNCTION apply_category_rules();
