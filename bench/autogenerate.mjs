// Times `fmig new <slug> --autogenerate --dry-run` (replay of the folder, build of the wanted
// schema, diff) on this repository's sql/ and on 300 generated revisions: the first run (no
// replay cached under .fmig/replay/) and the cached runs after it, with `fmig check` on the same
// folder as the yardstick of one replay. No server needed.
//
//   node bench/autogenerate.mjs          ROUNDS=3 by default
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { revisionId, revisionSql } from './generate.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const FMIG = path.join(root, 'bin', 'fmig');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fmig-bench-autogenerate-'));
const env = { ...process.env, NO_COLOR: '1' };
for (const k of Object.keys(env)) if (/^(FMIG_|DATABASE_URL$)/.test(k)) delete env[k];

const EXTRA = 'create table budgets (id bigint generated always as identity primary key, name text not null, amount numeric(19, 4) default 0);\n';

/** A project whose wanted schema (schema/*.sql) is its revisions' up SQL plus one more table. */
function makeProject(name, n) {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'sql'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'schema'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'migrate.toml'), 'dir = "sql"\n\n[schema]\nfiles = "schema/*.sql"\n');
  if (n === null) {
    fs.cpSync(path.join(root, 'sql'), path.join(dir, 'sql'), { recursive: true });
    for (const f of fs.readdirSync(path.join(dir, 'sql')).filter((f) => f.endsWith('.up.sql')))
      fs.writeFileSync(path.join(dir, 'schema', f), fs.readFileSync(path.join(dir, 'sql', f), 'utf8').replace(/CONCURRENTLY/g, ''));
  } else {
    for (let i = 1; i <= n; i++) {
      const { up, down } = revisionSql(i);
      fs.writeFileSync(path.join(dir, 'sql', `${revisionId(i)}_t${revisionId(i)}.up.sql`), up);
      fs.writeFileSync(path.join(dir, 'sql', `${revisionId(i)}_t${revisionId(i)}.down.sql`), down);
      fs.writeFileSync(path.join(dir, 'schema', `${revisionId(i)}.sql`), up);
    }
  }
  fs.writeFileSync(path.join(dir, 'schema', 'zz_extra.sql'), EXTRA);
  return dir;
}

function time(args, cwd) {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, [FMIG, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return wall;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [name, n] of [['sql/', null], ['300 generated', 300]]) {
  const dir = makeProject(name.replace(/\W+/g, '_'), n);
  const first = [];
  const cached = [];
  const check = [];
  for (let r = 0; r < ROUNDS; r++) {
    fs.rmSync(path.join(dir, '.fmig'), { recursive: true, force: true });
    first.push(time(['new', 'add_budgets', '--autogenerate', '--dry-run', '--quiet'], dir));
    cached.push(time(['new', 'add_budgets', '--autogenerate', '--dry-run', '--quiet'], dir));
    check.push(time(['check', '--quiet'], dir));
  }
  rows.push([name, median(first), median(cached), median(check)]);
}
console.log(`${'folder'.padEnd(16)} ${'first'.padStart(8)} ${'cached'.padStart(8)} ${'check'.padStart(8)}   (medians of ${ROUNDS}, seconds)`);
for (const [name, a, b, c] of rows) console.log(`${name.padEnd(16)} ${a.toFixed(2).padStart(8)} ${b.toFixed(2).padStart(8)} ${c.toFixed(2).padStart(8)}`);
fs.rmSync(work, { recursive: true, force: true });
