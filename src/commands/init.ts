/** `fmig init`: migrate.toml, the revisions folder and a .gitignore entry, never overwriting. */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from './context.js';
import { CONFIG_FILE, loadConfig } from '../adapters/config.js';
import { UsageError } from '../core/errors.js';

export interface InitOptions {
  /** The revisions folder, relative to the working directory; default "sql" (or migrate.toml's `dir` when it exists). */
  dir?: string;
}

export interface InitResult {
  /** Paths written or changed, relative to the working directory. */
  created: string[];
  /** Paths left alone because they were already there. */
  skipped: string[];
}

const IGNORED = '.fmig/';

/** Sets a project up in ctx.cwd (not walking up); an existing file is reported as skipped, never changed. */
export async function init(ctx: Context, opts: InitOptions): Promise<InitResult> {
  const result: InitResult = { created: [], skipped: [] };
  const done = (created: boolean, rel: string, line: string) => {
    (created ? result.created : result.skipped).push(rel);
    ctx.report.line(line);
  };

  const tomlPath = path.join(ctx.cwd, CONFIG_FILE);
  let dir = opts.dir ?? 'sql';
  if (await exists(tomlPath)) {
    done(false, CONFIG_FILE, `skipped ${CONFIG_FILE} (exists)`);
    // The folder to create is the one the existing file names; `--url` keeps the URL sources out of it.
    if (opts.dir === undefined) {
      const config = await loadConfig({ cwd: ctx.cwd, configPath: CONFIG_FILE, url: 'pglite://memory', env: ctx.env });
      dir = path.relative(ctx.cwd, config.dir) || '.';
    }
  } else {
    await writeFile(tomlPath, template(dir), { flag: 'wx' });
    done(true, CONFIG_FILE, `created ${CONFIG_FILE}`);
  }

  const dirPath = path.resolve(ctx.cwd, dir);
  const dirRel = `${path.relative(ctx.cwd, dirPath) || '.'}/`;
  const existing = await stat(dirPath).catch(() => null);
  if (existing && !existing.isDirectory()) throw new UsageError(`${dirRel} exists and is not a directory`, 'choose another folder with --dir');
  if (existing) {
    done(false, dirRel, `skipped ${dirRel} (exists)`);
  } else {
    await mkdir(dirPath, { recursive: true });
    // git keeps no empty folder: without a file in it, teammates would not get the folder.
    await writeFile(path.join(dirPath, '.gitkeep'), '', { flag: 'wx' });
    done(true, dirRel, `created ${dirRel}`);
  }

  const ignorePath = path.join(ctx.cwd, '.gitignore');
  const ignore = await readFile(ignorePath, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (ignore === null) {
    await writeFile(ignorePath, `${IGNORED}\n`, { flag: 'wx' });
    done(true, '.gitignore', 'created .gitignore');
  } else if (ignoresState(ignore)) {
    done(false, '.gitignore', `skipped .gitignore (already ignores ${IGNORED})`);
  } else {
    const sep = ignore === '' || ignore.endsWith('\n') ? '' : '\n';
    await writeFile(ignorePath, `${sep}${IGNORED}\n`, { flag: 'a' });
    done(true, '.gitignore', `added ${IGNORED} to .gitignore`);
  }
  return result;
}

function ignoresState(gitignore: string): boolean {
  return gitignore.split(/\r?\n/).some((line) => ['.fmig', '.fmig/', '/.fmig', '/.fmig/'].includes(line.trim()));
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null)) !== null;
}

function template(dir: string): string {
  return `# fmig configuration. Every setting is optional; the values shown are the defaults.

# The folder of revision files (<revision>_<slug>.up.sql / .down.sql), relative to this file.
dir = ${JSON.stringify(dir)}

[database]
# The database URL. The first found wins: --url, the FMIG_DATABASE_URL environment variable,
# DATABASE_URL, this setting, and last the embedded database pglite://.fmig/pglite.
# Schemes: postgres://, postgresql://, pglite://<dir> (relative to this file), pglite://memory.
# \${VAR} and \${VAR:-default} are read from the environment: keep passwords out of this file.
# url = "postgres://\${PGUSER:-postgres}@localhost:5432/app"

# Where the ledger lives. Any names work: they are always quoted.
schema = "public"
table = "fmig_ledger"

# Behind a transaction-pooling PgBouncer: a URL of the server itself, used for migrating.
# direct_url = "\${DIRECT_URL}"

# How long to wait for another fmig holding fmig's lock: "30s", "5m"; "0" waits as long as it takes.
lock_wait = "5m"
# How long one statement of a revision waits for a table lock before giving up, so that it
# never stalls the queries queued behind it; the revision is then tried again, with pauses
# growing to about a minute, lock_retries times.
lock_timeout = "5s"
lock_retries = 5
# A limit on each statement; "0" means none.
statement_timeout = "0"

[git]
# The ref whose revisions are published: what the team deploys from.
# Unset: origin/main, or main where there is no remote.
# main = "origin/main"
`;
}
