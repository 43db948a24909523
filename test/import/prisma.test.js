// fmig import --from prisma: <timestamp>_<name>/migration.sql, no downs; _prisma_migrations adopted.
import * as assert from 'uvu/assert';
import { importSuite, STEPS } from './scenario.js';

const ts = (i) => `2024010${i + 1}120000`;
const name = (i) => `${ts(i)}_${STEPS[i].slug}`;
const files = { 'migration_lock.toml': 'provider = "postgresql"\n' };
STEPS.forEach((s, i) => {
  files[`${name(i)}/migration.sql`] = s.up;
});

const row = (i, { finished = true, rolledBack = false } = {}) =>
  `insert into _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
   values ('00000000-0000-0000-0000-00000000000${i}', 'c0ffee', ${finished ? 'now()' : 'null'}, '${name(i)}', null, ${rolledBack ? 'now()' : 'null'}, now(), ${finished ? 1 : 0});`;

importSuite('prisma', {
  files,
  check: false, // no downs to round-trip
  ups: STEPS.map((s) => s.up),
  checkMapping: (out) => assert.match(out, `${name(2)}/ → ${ts(2)}_balance_function (after ${ts(1)}); no down: irreversible`),
  async checkFiles(p) {
    assert.is(await p.read(`sql/${ts(2)}_balance_function.up.sql`), STEPS[2].up);
    await p.read(`sql/${ts(2)}_balance_function.down.sql`).then(() => assert.unreachable('no down file'), () => {});
  },
  partly: 3,
  // A failed attempt that `prisma migrate resolve --rolled-back` settled does not count.
  ledger: (k) => `create table "_prisma_migrations" (
    "id" varchar(36) primary key not null,
    "checksum" varchar(64) not null,
    "finished_at" timestamptz,
    "migration_name" varchar(255) not null,
    "logs" text,
    "rolled_back_at" timestamptz,
    "started_at" timestamptz not null default now(),
    "applied_steps_count" integer not null default 0
);
${row(5, { finished: false, rolledBack: true })}
${STEPS.slice(0, k).map((_, i) => row(i)).join('\n')}`,
  refusals: [
    { why: 'failed', sql: row(3, { finished: false }), undo: `delete from _prisma_migrations where migration_name = '${name(3)}'`, message: `_prisma_migrations says ${name(3)} failed (finished_at is null)` },
  ],
  recorded: [0, 1, 2].map(ts),
  rest: [3, 4, 5].map(ts),
});
