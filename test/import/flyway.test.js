// fmig import --from flyway: V/U scripts, dotted versions in Flyway's order, .sql.conf, R__ listed.
import * as assert from 'uvu/assert';
import { importSuite, STEPS } from './scenario.js';

const versions = ['1', '1.1', '1.2', '1.10', '2', '3'];
const files = { 'R__refresh_views.sql': 'create or replace view v as select 1;\n' };
STEPS.forEach((s, i) => {
  const v = versions[i].replace('.', i === 1 ? '_' : '.'); // V1_1__ is Flyway's other spelling of 1.1
  files[`V${v}__${s.slug}.sql`] = s.up;
  if (i !== 4) files[`U${v}__${s.slug}.sql`] = s.down;
  if (s.noTransaction) {
    files[`V${v}__${s.slug}.sql.conf`] = 'executeInTransaction=false\n';
    files[`U${v}__${s.slug}.sql.conf`] = 'executeInTransaction=false\n';
  }
});

const row = (rank, version, script, success = true) =>
  `insert into flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
   values (${rank}, '${version}', '${script}', 'SQL', 'V${version}__${script}.sql', 12345, 'flyway', 7, ${success});`;

importSuite('flyway', {
  files,
  ups: STEPS.map((s) => s.up),
  checkMapping(out) {
    assert.match(out, 'V1.2__balance_function.sql → 1p2_balance_function (after 1p1); up: -- fmig:parent 1p1');
    assert.match(out, 'V1.10__index_booked_on.sql → 1p10_index_booked_on (after 1p2); up: -- fmig:parent 1p2; up: -- fmig:no-transaction; down: -- fmig:no-transaction');
    assert.match(out, 'V2__add_currency.sql → 2_add_currency (after 1p10); up: -- fmig:parent 1p10; no down: irreversible');
    assert.match(out, 'R__refresh_views.sql: not imported: a repeatable migration');
  },
  async checkFiles(p) {
    assert.is(await p.read('sql/1p1_create_transactions.up.sql'), STEPS[1].up);
    assert.is(await p.read('sql/1p10_index_booked_on.up.sql'), `-- fmig:parent 1p2\n-- fmig:no-transaction\n${STEPS[3].up}`);
    assert.is(await p.read('sql/3_seed_cash_account.down.sql'), '', 'an empty undo script');
  },
  partly: 3,
  ledger: (k) => `create table "public"."flyway_schema_history" (
    "installed_rank" int not null,
    "version" varchar(50),
    "description" varchar(200) not null,
    "type" varchar(20) not null,
    "script" varchar(1000) not null,
    "checksum" integer,
    "installed_by" varchar(100) not null,
    "installed_on" timestamp not null default now(),
    "execution_time" integer not null,
    "success" boolean not null
);
alter table "public"."flyway_schema_history" add constraint "flyway_schema_history_pk" primary key ("installed_rank");
create index "flyway_schema_history_s_idx" on "public"."flyway_schema_history" ("success");
${STEPS.slice(0, k).map((s, i) => row(i + 1, versions[i], s.slug)).join('\n')}`,
  refusals: [
    { why: 'failed', sql: row(4, '1.10', 'index_booked_on', false), undo: 'delete from flyway_schema_history where installed_rank = 4', message: 'flyway_schema_history row 4 (version 1.10, V1.10__index_booked_on.sql) failed (success = false)' },
    { why: 'unknown version', sql: row(4, '7', 'gone'), undo: 'delete from flyway_schema_history where installed_rank = 4', message: 'their ledger records version 7, which is not in the folder' },
  ],
  recorded: ['1', '1p1', '1p2'],
  rest: ['1p10', '2', '3'],
});
