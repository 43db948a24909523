// `fmig new --autogenerate` (from [schema] files and from a dev database) and `fmig diff`,
// as a user runs them, on this repository's sql/.
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forEachTarget } from '../helpers/databases.js';
import { inspect, removeProjects, repositoryCopy } from '../helpers/cli.js';

const SQL = fileURLToPath(new URL('../../sql', import.meta.url));
const ups = readdirSync(SQL).filter((f) => f.endsWith('.up.sql')).sort();

/** sql/'s schema as declarative files (schema/<n>.sql), plus `extra` as the last one. */
function schemaFiles(extra) {
  const files = Object.fromEntries(ups.map((f) => [`schema/${f.replace('.up.sql', '.sql')}`, readFileSync(`${SQL}/${f}`, 'utf8').replace(/CONCURRENTLY/g, '')]));
  if (extra) files['schema/zz_wanted.sql'] = extra;
  return files;
}

const CHANGE = `
CREATE TABLE budgets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, category_id bigint NOT NULL REFERENCES categories (id), amount numeric(19,4) NOT NULL);
COMMENT ON TABLE budgets IS 'Monthly budget per category.';
ALTER TABLE accounts ADD COLUMN nickname text;
CREATE INDEX budgets_category_idx ON budgets (category_id);
ALTER TYPE inbox_item_status ADD VALUE 'archived';
DROP VIEW account_balances;
`;

const TOML = (url) => `dir = "sql"\n[database]\nurl = "${url}"\n[schema]\nfiles = "schema/**/*.sql"\n`;

forEachTarget('new --autogenerate and diff', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('[schema] files: the revision makes the wanted schema on a fresh database, down -1 gives the old one back, check passes', async () => {
    const { url } = await fresh();
    const p = await repositoryCopy();
    await p.write({ 'migrate.toml': TOML(url), ...schemaFiles(CHANGE) });
    const up0 = await p.fmig('up');
    assert.is(up0.code, 0, up0.stderr);
    const before = (await p.fmig('schema')).stdout;

    const gen = await p.fmig('new', 'budgets', '--autogenerate', '--json');
    assert.is(gen.code, 0, gen.stderr);
    const { revision, up, down } = gen.json;
    assert.is(revision, '000013');
    const upText = await p.read(up);
    assert.match(upText, /^-- fmig:parent 000012\n/);
    assert.match(upText, /-- fmig:review drops view public\.account_balances|DROP VIEW public\.account_balances/);
    assert.match(await p.read(down), /CREATE VIEW public\.account_balances/);

    const up1 = await p.fmig('up');
    assert.is(up1.code, 0, up1.stderr);
    // The wanted schema, built straight from the files on another fresh database.
    const { url: wantedUrl } = await fresh();
    await inspect(wantedUrl, async (db) => {
      for (const [, text] of Object.entries(schemaFiles(CHANGE)).sort(([a], [b]) => (a < b ? -1 : 1))) await db.exec(text);
    });
    const wanted = (await p.fmig('schema', '--url', wantedUrl)).stdout;
    assert.fixture((await p.fmig('schema')).stdout, wanted);

    const back = await p.fmig('down', '-1');
    assert.is(back.code, 0, back.stderr);
    assert.fixture((await p.fmig('schema')).stdout, before);

    const check = await p.fmig('check');
    assert.is(check.code, 0, check.stdout + check.stderr);

    // The folder now gives the wanted schema: nothing to change, no files; the second run reads the cached replay.
    const again = await p.fmig('new', 'again', '--autogenerate', '--json');
    assert.is(again.code, 0, again.stderr);
    assert.is(again.json.revision, null);
    const third = await p.fmig('new', 'again', '--autogenerate');
    assert.match(third.stdout, /nothing to change/);
    assert.is(readdirSync(`${p.dir}/sql`).filter((f) => f.startsWith('000014')).length, 0);
    const cached = await p.fmig('new', 'again', '--autogenerate', '--json');
    assert.is(cached.json.cached, true);
  });

  test('--dry-run prints both files and writes nothing; no wanted schema is a usage error', async () => {
    const { url } = await fresh();
    const p = await repositoryCopy();
    await p.write({ 'migrate.toml': TOML(url), ...schemaFiles('ALTER TABLE accounts DROP COLUMN updated_at;') });
    const dry = await p.fmig('new', 'drop_it', '--autogenerate', '--dry-run');
    assert.is(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /-- fmig:review drops column public\.accounts\.updated_at and its data\nALTER TABLE public\.accounts DROP COLUMN updated_at;/);
    assert.match(dry.stdout, /ADD COLUMN updated_at timestamp with time zone DEFAULT now\(\) NOT NULL/);
    assert.match(dry.stderr, /review: drops column public\.accounts\.updated_at/);
    assert.is(readdirSync(`${p.dir}/sql`).length, 24);

    await p.write({ 'migrate.toml': `dir = "sql"\n[database]\nurl = "${url}"\n` });
    const none = await p.fmig('new', 'x', '--autogenerate');
    assert.is(none.code, 2);
    assert.match(none.stderr, /\[schema\] files/);
    assert.is(readdirSync(`${p.dir}/sql`).length, 24);
  });

  test('--from-db: hand edits on a dev database become a revision that reproduces them on a fresh one', async () => {
    const { url: dev } = await fresh();
    const p = await repositoryCopy();
    await p.write({ 'migrate.toml': `dir = "sql"\n[database]\nurl = "${dev}"\n` });
    assert.is((await p.fmig('up')).code, 0);
    await inspect(dev, (db) =>
      db.exec(`ALTER TABLE transactions ADD COLUMN memo text;
        CREATE INDEX transactions_memo_idx ON transactions (memo) WHERE memo IS NOT NULL;
        CREATE FUNCTION account_total(p bigint) RETURNS numeric LANGUAGE sql STABLE AS 'SELECT sum(amount) FROM transactions WHERE account_id = p';`),
    );
    const gen = await p.fmig('new', 'hand_edits', '--from-db', dev);
    assert.is(gen.code, 0, gen.stderr);

    const { url: other } = await fresh();
    const up = await p.fmig('up', '--url', other);
    assert.is(up.code, 0, up.stderr);
    assert.fixture((await p.fmig('schema', '--url', other)).stdout, (await p.fmig('schema', '--url', dev)).stdout);
  });

  test('diff: clean is exit 0; changes behind fmig\'s back are each named, exit 1, with the SQL that undoes them', async () => {
    const { url } = await fresh();
    const p = await repositoryCopy();
    await p.write({ 'migrate.toml': `dir = "sql"\n[database]\nurl = "${url}"\n` });
    assert.is((await p.fmig('up')).code, 0);
    const clean = await p.fmig('diff');
    assert.is(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /no drift/);
    assert.is((await p.fmig('status', '--drift', '--check')).code, 0);

    await inspect(url, (db) =>
      db.exec(`DROP INDEX transactions_currency_amount_posted_on_idx;
        ALTER TABLE accounts ADD COLUMN secret text;
        CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;`),
    );
    const drift = await p.fmig('diff');
    assert.is(drift.code, 1, drift.stderr);
    assert.match(drift.stdout, /- {3}index transactions_currency_amount_posted_on_idx/);
    assert.match(drift.stdout, /\+ {3}column secret text/);
    assert.match(drift.stdout, /function public\.set_updated_at\(\)/);
    assert.match(drift.stdout, /CREATE INDEX transactions_currency_amount_posted_on_idx ON public\.transactions/);
    assert.match(drift.stdout, /-- fmig:review drops column public\.accounts\.secret/);
    const plainStatus = await p.fmig('status', '--check');
    assert.is(plainStatus.code, 0, 'plain status does not replay, and sees no drift in the ledger');
    const status = await p.fmig('status', '--drift', '--check');
    assert.is(status.code, 1, status.stderr);
    assert.match(status.stdout, /drift: .* differs from what its 12 applied revision\(s\) give/);
    const json = await p.fmig('diff', '--json');
    assert.is(json.code, 1);
    assert.is(json.json.drift, true);
    assert.ok(json.json.differences.length >= 3);
  });
});
