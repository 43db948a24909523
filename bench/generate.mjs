// Generates the engine benchmark's revisions: N small revisions (a table, an index, three rows
// each), written three ways from the same SQL text:
//   <out>/fmig/       a fmig project: migrate.toml, sql/<id>_t<id>.up.sql and .down.sql, in its own git repository
//   <out>/dbmate/     dbmate's format: one <id>_t<id>.sql per revision with -- migrate:up / -- migrate:down
//   <out>/psql/       the floor's inputs: the same up files, plus session.sql, one psql script
//                     that runs every file in its own BEGIN/COMMIT over one connection
//
//   node bench/generate.mjs [N] [out]      default: 1000 bench/data/engine
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WIDTH = 6;

/** The id of revision i (1-based): a zero-padded sequence number, as golang-migrate folders use. */
export const revisionId = (i) => String(i).padStart(WIDTH, '0');

/** The up and down SQL of revision i: the same text for every tool. */
export function revisionSql(i) {
  const t = `t${revisionId(i)}`;
  const up =
    `create table ${t} (\n  id bigint primary key,\n  name text not null,\n  amount numeric(12, 2) not null default 0,\n  created_at timestamptz not null default now()\n);\n` +
    `create index ${t}_name_idx on ${t} (name);\n` +
    `insert into ${t} (id, name, amount) values (1, 'alpha', 10.50), (2, 'beta', 20.00), (3, 'gamma', 30.25);\n`;
  const down = `drop table ${t};\n`;
  return { up, down };
}

/** Writes the three layouts for `n` revisions under `out` (replacing what was there); returns their paths. */
export function generate(n, out) {
  rmSync(out, { recursive: true, force: true });
  const fmig = path.join(out, 'fmig');
  const fmigSql = path.join(fmig, 'sql');
  const dbmate = path.join(out, 'dbmate');
  const psql = path.join(out, 'psql');
  for (const d of [fmigSql, dbmate, psql]) mkdirSync(d, { recursive: true });

  writeFileSync(
    path.join(fmig, 'migrate.toml'),
    `dir = "sql"\n\n[database]\nschema = "public"\ntable = "fmig_ledger"\nlock_timeout = "10s"\nstatement_timeout = "0"\n\n[git]\nmain = "main"\n`,
  );
  const upFiles = [];
  const session = ['\\set ON_ERROR_STOP on'];
  for (let i = 1; i <= n; i++) {
    const id = revisionId(i);
    const { up, down } = revisionSql(i);
    writeFileSync(path.join(fmigSql, `${id}_t${id}.up.sql`), up);
    writeFileSync(path.join(fmigSql, `${id}_t${id}.down.sql`), down);
    writeFileSync(path.join(dbmate, `${id}_t${id}.sql`), `-- migrate:up\n${up}\n-- migrate:down\n${down}`);
    const file = path.join(psql, `${id}_t${id}.up.sql`);
    writeFileSync(file, up);
    upFiles.push(file);
    session.push('BEGIN;', `\\i ${file}`, 'COMMIT;');
  }
  writeFileSync(path.join(psql, 'session.sql'), session.join('\n') + '\n');

  // A real project lives in git; fmig records HEAD in the ledger, so give it one of its own
  // rather than letting it find whatever repository encloses the work folder.
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  const git = (...args) => execFileSync('git', args, { cwd: fmig, env, stdio: ['ignore', 'ignore', 'inherit'] });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', `${n} revisions`);

  return { fmig, dbmate, psql, upFiles, session: path.join(psql, 'session.sql'), config: path.join(fmig, 'migrate.toml') };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 1000);
  const out = path.resolve(process.argv[3] ?? fileURLToPath(new URL('./data/engine', import.meta.url)));
  const r = generate(n, out);
  console.log(`generated ${n} revisions under ${path.relative(process.cwd(), out) || out}: fmig/, dbmate/, psql/`);
  void r;
}
