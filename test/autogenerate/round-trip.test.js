// Autogenerate's round trip, one schema change per object kind and some combined, starting
// from this repository's sql/: on a database with sql/ applied, the change makes the wanted
// schema; the generated down SQL must give back sql/'s schema exactly, and the generated up
// SQL must then give the wanted schema exactly (snapshots compared as `fmig schema` prints them).
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../dist/adapters/db/open.js';
import { readSnapshot } from '../../dist/adapters/db/snapshot.js';
import { planChanges } from '../../dist/autogenerate/plan.js';
import { renderRevision } from '../../dist/autogenerate/render.js';
import { diffSnapshots } from '../../dist/core/snapshot-diff.js';
import { forEachTarget } from '../helpers/databases.js';

const SQL = fileURLToPath(new URL('../../sql', import.meta.url));
// The last revision builds its indexes concurrently, which no multi-statement script may do.
const BASE = readdirSync(SQL)
  .filter((f) => f.endsWith('.up.sql'))
  .sort()
  .map((f) => readFileSync(`${SQL}/${f}`, 'utf8').replace(/CONCURRENTLY/g, ''));
const LEDGER = { schema: 'public', table: 'fmig_ledger' };
/** sql/'s account_balances view and its comment, as written there. */
const BALANCES_VIEW = /CREATE VIEW account_balances AS[^;]*;\s*COMMENT ON VIEW account_balances IS '[^']*(?:''[^']*)*'/.exec(readFileSync(`${SQL}/000011_inbox_and_balance_views.up.sql`, 'utf8'))[0];

/** A role to grant to (roles are the server's, not a database's: made once, kept). */
const READER_ROLE = `DO $$ BEGIN CREATE ROLE fmig_autogen_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`;

/** [name, SQL that changes sql/'s schema into the wanted one, what the up file must say]. */
export const CHANGES = [
  ['table with identity, default and comment', `CREATE TABLE budgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, amount numeric(19,4) DEFAULT 0);
    COMMENT ON TABLE budgets IS 'Monthly budgets.'`, /CREATE TABLE public\.budgets/],
  ['column added, with a comment', `ALTER TABLE accounts ADD COLUMN nickname text; COMMENT ON COLUMN accounts.nickname IS 'Shown instead of the name.'`, /ADD COLUMN nickname text/],
  ['column type widened under a view (the view is rebuilt), default and not null changed', `DROP VIEW account_balances;
    ALTER TABLE accounts ALTER COLUMN opening_balance TYPE numeric(21,4);
    ${BALANCES_VIEW};
    ALTER TABLE category_rules ALTER COLUMN priority SET DEFAULT 10; ALTER TABLE institutions ALTER COLUMN bic SET NOT NULL`, /SET DEFAULT 10/],
  ['generated column', `ALTER TABLE transactions ADD COLUMN amount_abs numeric GENERATED ALWAYS AS (abs(amount)) STORED`, /GENERATED ALWAYS AS \(abs\(amount\)\) STORED/],
  ['last column dropped (review)', `ALTER TABLE attachments DROP COLUMN created_at`, /-- fmig:review drops column public\.attachments\.created_at/],
  ['check, unique and foreign key constraints', `ALTER TABLE institutions DROP CONSTRAINT institutions_bic_check;
    ALTER TABLE institutions ADD CONSTRAINT institutions_bic_check CHECK (bic ~ '^[A-Z]{6}');
    ALTER TABLE categories ADD CONSTRAINT categories_name_unique UNIQUE (name);
    CREATE TABLE account_notes (id int PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE, body text)`, /FOREIGN KEY \(account_id\)/],
  ['exclusion constraint', `ALTER TABLE accounts ADD COLUMN active_during tstzrange;
    ALTER TABLE accounts ADD CONSTRAINT accounts_no_overlap EXCLUDE USING gist (active_during WITH &&)`, /EXCLUDE USING gist/],
  ['partial and expression indexes', `CREATE INDEX transactions_lower_description_idx ON transactions (lower(description)) WHERE amount < 0;
    DROP INDEX inbox_items_awaiting_match_idx`, /CREATE INDEX transactions_lower_description_idx/],
  ['view and materialized view with an index', `CREATE VIEW big_spends AS SELECT id, amount FROM transactions WHERE amount < -1000;
    CREATE MATERIALIZED VIEW monthly_totals AS SELECT account_id, date_trunc('month', posted_on) AS month, sum(amount) AS total FROM transactions GROUP BY 1, 2;
    CREATE INDEX monthly_totals_account_idx ON monthly_totals (account_id)`, /CREATE MATERIALIZED VIEW public\.monthly_totals/],
  ['view changed, and a view reading it', `CREATE OR REPLACE VIEW account_balances AS
    SELECT a.id AS account_id, a.institution_id, a.name, a.currency,
           a.opening_balance + coalesce(sum(t.amount) FILTER (WHERE t.currency = a.currency), 0) AS balance,
           count(t.id) FILTER (WHERE t.currency <> a.currency) AS foreign_currency_transactions,
           max(t.posted_on) AS last_posted_on, min(t.posted_on) AS first_posted_on
      FROM accounts a LEFT JOIN transactions t ON t.account_id = a.id GROUP BY a.id;
    CREATE VIEW negative_balances AS SELECT account_id FROM account_balances WHERE balance < 0`, /DROP VIEW public\.account_balances/],
  ['function and procedure, and a function body changed', `CREATE FUNCTION account_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM accounts';
    CREATE PROCEDURE close_account(p_id bigint) LANGUAGE sql AS 'UPDATE accounts SET closed_on = current_date WHERE id = p_id';
    CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$`, /CREATE OR REPLACE PROCEDURE public\.close_account/],
  ['trigger added and trigger disabled', `CREATE TRIGGER transactions_set_updated_at_2 BEFORE UPDATE ON transactions FOR EACH ROW EXECUTE FUNCTION set_updated_at();
    ALTER TABLE accounts DISABLE TRIGGER accounts_set_updated_at`, /DISABLE TRIGGER accounts_set_updated_at/],
  ['sequence added and sequence changed', `CREATE SEQUENCE invoice_numbers AS integer START 1000 INCREMENT 5;
    ALTER SEQUENCE institutions_id_seq INCREMENT BY 2`, /CREATE SEQUENCE public\.invoice_numbers/],
  ['enum value added (its down rebuilds the type)', `ALTER TYPE inbox_item_status ADD VALUE 'archived' AFTER 'ignored'`, /ADD VALUE 'archived' AFTER 'ignored'/],
  ['composite type, domain and range', `CREATE TYPE money_amount AS (amount numeric(19,4), currency character(3));
    CREATE DOMAIN iban_text AS text CONSTRAINT iban_text_check CHECK (VALUE ~ '^[A-Z]{2}');
    CREATE TYPE date_span AS RANGE (subtype = date)`, /CREATE DOMAIN public\.iban_text/],
  ['schema with a table, comments on schema, view and function', `CREATE SCHEMA reporting; COMMENT ON SCHEMA reporting IS 'Read models.';
    CREATE TABLE reporting.snapshots (taken_at timestamptz NOT NULL, body jsonb);
    COMMENT ON VIEW account_balances IS 'Changed comment.'; COMMENT ON FUNCTION set_updated_at() IS NULL`, /CREATE SCHEMA reporting/],
  ['row-level security', `ALTER TABLE accounts ENABLE ROW LEVEL SECURITY; ALTER TABLE transactions ENABLE ROW LEVEL SECURITY; ALTER TABLE transactions FORCE ROW LEVEL SECURITY`, /FORCE ROW LEVEL SECURITY/],
  ['row-level-security policies', `ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
    CREATE POLICY accounts_open ON accounts USING (closed_on IS NULL);
    CREATE POLICY accounts_no_negative_opening ON accounts AS RESTRICTIVE FOR INSERT WITH CHECK (opening_balance >= 0)`, /CREATE POLICY accounts_no_negative_opening ON public\.accounts AS RESTRICTIVE FOR INSERT TO PUBLIC WITH CHECK/],
  ['grants and revokes on a schema, table, view, sequence and function', `${READER_ROLE};
    GRANT USAGE ON SCHEMA public TO fmig_autogen_reader;
    GRANT SELECT, INSERT ON accounts TO fmig_autogen_reader; GRANT SELECT ON transactions TO PUBLIC;
    GRANT UPDATE ON categories TO fmig_autogen_reader WITH GRANT OPTION;
    GRANT SELECT ON account_balances TO fmig_autogen_reader;
    GRANT USAGE ON SEQUENCE institutions_id_seq TO fmig_autogen_reader;
    REVOKE EXECUTE ON FUNCTION set_updated_at() FROM PUBLIC`, /REVOKE EXECUTE ON FUNCTION public\.set_updated_at\(\) FROM PUBLIC/],
  ['aggregate and its state function', `CREATE FUNCTION sum_abs_step(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT $1 + abs($2)';
    CREATE AGGREGATE sum_abs(numeric) (SFUNC = sum_abs_step, STYPE = numeric, INITCOND = '0')`, /CREATE AGGREGATE public\.sum_abs\(numeric\) \(SFUNC = public\.sum_abs_step, STYPE = numeric, INITCOND = '0'\)/],
  ['extensions, a column of an extension type and an index with its operator class', `CREATE EXTENSION citext;
    ALTER TABLE accounts ADD COLUMN email citext;
    CREATE EXTENSION pg_trgm;
    CREATE INDEX transactions_description_trgm_idx ON transactions USING gin (description gin_trgm_ops)`, /CREATE EXTENSION IF NOT EXISTS citext/],
  ['combined: table dropped and another made (a rename shows as a note), column narrowed (review)', `DROP TABLE category_rules;
    CREATE TABLE categorisation_rules (id int PRIMARY KEY, category_id bigint REFERENCES categories (id), pattern text NOT NULL);
    ALTER TABLE institutions ALTER COLUMN name TYPE varchar(100)`, /-- fmig:review changes the type of public\.institutions\.name/],
];

forEachTarget('autogenerate round trip from sql/', (test, { fresh }) => {
  for (const [name, change, upSays] of CHANGES) {
    test(name, async () => {
      const { url } = await fresh();
      // The change as a revision folder: on the embedded database, fmig loads the contrib
      // extensions a folder names (here citext and pg_trgm for one change), not all of them.
      const sqlDir = mkdtempSync(path.join(os.tmpdir(), 'fmig-autogen-'));
      writeFileSync(path.join(sqlDir, 'change.up.sql'), change);
      const db = await openDatabase(url, { baseDir: process.cwd(), lockTimeoutMs: 10000, statementTimeoutMs: 0, sqlDir });
      try {
        for (const sql of BASE) await db.exec(sql);
        const base = await readSnapshot(db, LEDGER);
        await db.exec(change);
        const wanted = await readSnapshot(db, LEDGER);
        assert.ok(diffSnapshots(base, wanted).length > 0, 'the change changes the schema');

        const up = renderRevision(['-- fmig:parent 000012'], planChanges(base, wanted));
        const down = renderRevision([], planChanges(wanted, base));
        assert.match(up.text, upSays);
        await db.exec(down.text);
        assert.equal(diffSnapshots(base, await readSnapshot(db, LEDGER)), [], `the down file gives back sql/'s schema:\n${down.text}`);
        await db.exec(up.text);
        assert.equal(diffSnapshots(wanted, await readSnapshot(db, LEDGER)), [], `the up file gives the wanted schema:\n${up.text}`);
        assert.equal(planChanges(wanted, wanted).statements, [], 'nothing to change between equal schemas');
      } finally {
        await db.close();
        rmSync(sqlDir, { recursive: true, force: true });
      }
    });
  }
});
