/**
 * A real Alembic project, made in a temp folder, run with a real Alembic (Debian's
 * python3-alembic, with psycopg2 for online runs; .ci/run installs them).
 *
 *   const a = await alembicProject({ '1f0a_create': { down: null, up: 'op.create_table(...)', downgrade: 'op.drop_table(...)' } });
 *   await a.alembic('upgrade', 'head', { url });   // { code, stdout, stderr }
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/temp.js';

/** The Python that has Alembic: FMIG_TEST_PYTHON, else `python3`, else Debian's /usr/bin/python3. Throws when none has it. */
export const python = findPython();

function findPython() {
  const candidates = [process.env.FMIG_TEST_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const py of candidates) {
    try {
      execFileSync(py, ['-c', 'import alembic, psycopg2'], { stdio: 'ignore' });
      return py;
    } catch {
      // try the next
    }
  }
  throw new Error(`no Python with alembic and psycopg2 among ${candidates.join(', ')}: apt-get install python3-alembic python3-psycopg2`);
}

/** How fmig is told to run it. */
export const alembicCommand = `${python} -m alembic`;

const ENV_PY = `import os
from alembic import context
from sqlalchemy import create_engine, pool

url = os.environ.get("ALEMBIC_URL", "postgresql://")
if context.is_offline_mode():
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
`;

const py = (s) => (s === null || s === undefined ? 'None' : Array.isArray(s) ? `(${s.map((x) => `'${x}'`).join(', ')},)` : `'${s}'`);
const indent = (code) => (code ?? 'pass').split('\n').map((l) => `    ${l}`).join('\n');

/**
 * `revisions`: `{ '<rev>_<slug>': { down: parent | [parents] | null, up, downgrade, labels? } }`,
 * `up`/`downgrade` Python bodies (using `op` and `sa`).
 */
export async function alembicProject(revisions) {
  const dir = await tempDir('fmig-alembic-');
  await mkdir(path.join(dir, 'migrations', 'versions'), { recursive: true });
  await writeFile(path.join(dir, 'alembic.ini'), '[alembic]\nscript_location = migrations\n');
  await writeFile(path.join(dir, 'migrations', 'env.py'), ENV_PY);
  for (const [name, r] of Object.entries(revisions)) {
    const rev = name.slice(0, name.indexOf('_'));
    await writeFile(
      path.join(dir, 'migrations', 'versions', `${name}.py`),
      `"""${name.slice(rev.length + 1).replace(/_/g, ' ')}"""
from alembic import op
import sqlalchemy as sa

revision = '${rev}'
down_revision = ${py(r.down)}
branch_labels = ${py(r.labels)}
depends_on = None


def upgrade():
${indent(r.up)}


def downgrade():
${indent(r.downgrade)}
`,
    );
  }
  return {
    dir,
    /** Runs Alembic in the project; `url` (postgres://) is the database of online runs. */
    alembic(...args) {
      const opts = typeof args[args.length - 1] === 'object' ? args.pop() : {};
      const env = { ...process.env, ALEMBIC_URL: opts.url ? opts.url.replace(/^postgres:/, 'postgresql:') : 'postgresql://' };
      return new Promise((resolve, reject) =>
        execFile(python, ['-m', 'alembic', ...args], { cwd: dir, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') return reject(err);
          resolve({ code: err ? err.code : 0, stdout, stderr });
        }),
      );
    },
  };
}
