/**
 * Asks Alembic itself, in the team's own environment, for its graph and for the SQL of every
 * revision in offline mode (`--sql`: no database is connected). The only I/O of the Alembic
 * import; what it prints is read by alembic.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { FmigError, UsageError } from '../core/errors.js';
import { alembicRevisions, parseHistory, splitOffline } from './alembic.js';
import type { Body, ToolFolder } from './types.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Reads an Alembic project: `where` is its alembic.ini or the folder holding it; `command` runs Alembic (e.g. `python3 -m alembic`). */
export async function readAlembic(where: string, command: string, env: Record<string, string | undefined>): Promise<ToolFolder> {
  const ini = existsSync(where) && statSync(where).isDirectory() ? resolve(where, 'alembic.ini') : resolve(where);
  if (!existsSync(ini)) throw new UsageError(`no alembic.ini at ${ini}`, 'name the folder that holds alembic.ini, or the .ini file itself');
  const [program, ...args] = command.split(/\s+/).filter(Boolean);
  if (!program) throw new UsageError('--alembic needs a command, e.g. "python3 -m alembic"');
  const alembic = (...more: string[]) => run(program, [...args, '-c', basename(ini), ...more], dirname(ini), env);

  const history = await alembic('history', '--verbose');
  if (history.code !== 0) throw alembicFailed('alembic history', history);
  const revisions = parseHistory(history.stdout);
  if (!revisions.length) throw new FmigError('import-empty', `Alembic lists no revisions in ${ini}`, 1);

  const upRun = await alembic('upgrade', 'heads', '--sql');
  const up = splitOffline(upRun.stdout);
  if (upRun.code !== 0) throw alembicFailed(`alembic upgrade heads --sql`, upRun, up.last);
  // Offline downgrades take one head at a time; shared ancestors come out of each run alike.
  const heads = revisions.filter((r) => !revisions.some((o) => o.parents.includes(r.revision) || o.dependsOn.includes(r.revision)));
  const down = new Map<string, Body>();
  for (const h of heads) {
    const downRun = await alembic('downgrade', `${h.revision}:base`, '--sql');
    const split = splitOffline(downRun.stdout);
    if (downRun.code !== 0) throw alembicFailed(`alembic downgrade ${h.revision}:base --sql`, downRun, split.last);
    for (const [rev, body] of split.bodies) if (!down.has(rev)) down.set(rev, body);
  }
  const missing = revisions.filter((r) => !up.bodies.has(r.revision)).map((r) => r.revision);
  if (missing.length) throw new FmigError('alembic', `Alembic's offline upgrade printed no SQL for ${missing.join(', ')}`, 1);
  return { tool: 'alembic', revisions: alembicRevisions(revisions, up.bodies, down), skipped: [] };
}

function alembicFailed(what: string, r: Run, revision: string | null = null): FmigError {
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.filter((l) => !/^INFO /.test(l)).pop() ?? `exit code ${r.code}`;
  const which = revision ? `revision ${revision}: ` : '';
  return new FmigError(
    'alembic',
    `${which}${what} failed: ${error}`,
    1,
    revision ? 'a revision that reads the live database (op.get_bind()) has no offline SQL; rewrite it with op.execute, or write its fmig files by hand' : undefined,
  );
}

function run(program: string, args: string[], cwd: string, env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    execFile(program, args, { cwd, env: env as NodeJS.ProcessEnv, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new UsageError(`cannot run Alembic: ${program} not found`, 'say how to run it, e.g. --alembic "python3 -m alembic" or --alembic ".venv/bin/alembic"'));
        } else reject(err);
        return;
      }
      resolvePromise({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}
