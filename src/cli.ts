/**
 * The command line: parses options, lazy-imports the command, prints its result, and turns
 * errors into exit codes in one place (0 done, 1 wrong state, 2 bad input, 3 unreachable).
 */
import { cac } from 'cac';
import type { Config } from './adapters/config-types.js';
import type { Context, Reporter } from './commands/context.js';
import { toDbError } from './adapters/db/driver.js';
import { FmigError, UsageError } from './core/errors.js';
import { closest } from './core/suggest.js';
import { version } from './version.js';

interface Io {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

type Options = Record<string, unknown> & { json?: boolean; quiet?: boolean; color?: boolean; config?: string; url?: string };

/** A command's entry: loads its module only when it runs. Returns its JSON result and exit code. */
type Runner = (ctx: Context, args: string[], opts: Options) => Promise<{ result: unknown; exitCode?: number }>;

interface Spec {
  name: string;
  usage: string;
  description: string;
  aliases?: string[];
  options?: [string, string][];
  run: Runner;
}

const str = (v: unknown): string | undefined => (v === undefined || v === true ? undefined : String(v));
const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(/[\s,]+/)).filter(Boolean));
const plain = (result: unknown) => ({ result });

const COMMANDS: Spec[] = [
  {
    name: 'init',
    usage: 'init',
    description: 'Write migrate.toml and sql/, and add .fmig/ to .gitignore (never overwrites)',
    run: async (ctx) => plain(await (await import('./commands/init.js')).init(ctx, {})),
  },
  {
    name: 'new',
    usage: 'new [slug]',
    aliases: ['revision'],
    description: 'Create the up/down pair of a new revision on the current head',
    options: [
      ['-m, --message <msg>', 'A description; also the slug when none is given'],
      ['--parent <rev>', 'Parent revision(s), instead of the current head (repeatable)'],
      ['--no-transaction', 'Mark the revision to run outside a transaction'],
      ['--autogenerate', 'Write the up and down SQL: from the folder\'s schema to [schema] files (or --from-db)'],
      ['--from-db <url>', 'With --autogenerate: the wanted schema is this database\'s'],
      ['--dry-run', 'With --autogenerate: print both files; write nothing'],
    ],
    run: async (ctx, [slug], o) => {
      if (o.dryRun && !o.autogenerate && o.fromDb === undefined) throw new UsageError('--dry-run goes with --autogenerate (or --from-db)', 'plain `fmig new` only writes two files with their header');
      return o.autogenerate || o.fromDb !== undefined
        ? plain(
            await (await import('./commands/autogenerate.js')).autogenerate(ctx, { slug, message: str(o.message), parents: list(o.parent), fromDb: str(o.fromDb), dryRun: !!o.dryRun }),
          )
        : plain(await (await import('./commands/new.js')).newRevision(ctx, { slug, message: str(o.message), parents: list(o.parent), noTransaction: o.transaction === false }));
    },
  },
  {
    name: 'up',
    usage: 'up [target]',
    aliases: ['upgrade'],
    description: 'Apply pending revisions up to head (default), a revision id, or +N',
    options: [
      ['--dry-run', 'Print the plan and the SQL; change nothing'],
      ['--single-transaction', 'Apply everything in one transaction'],
      ['--resume', 'Finish a revision that stopped part-way, from the failed statement'],
    ],
    run: async (ctx, [target], o) =>
      plain(await (await import('./commands/up.js')).up(ctx, { target, dryRun: !!o.dryRun, singleTransaction: !!o.singleTransaction, resume: !!o.resume })),
  },
  {
    name: 'down',
    usage: 'down [target]',
    aliases: ['downgrade'],
    description: 'Revert -1 (default), -N, down to a revision id (it stays applied), or base',
    options: [['--dry-run', 'Print the plan and the SQL; change nothing']],
    run: async (ctx, [target], o) => plain(await (await import('./commands/down.js')).down(ctx, { target, dryRun: !!o.dryRun })),
  },
  {
    name: 'status',
    usage: 'status',
    aliases: ['current'],
    description: 'Applied heads, pending revisions and drift',
    options: [
      ['--check', 'Exit 1 when anything is pending or drifted'],
      ['--drift', "Also compare the database's schema with what its applied revisions give (replays them)"],
    ],
    run: async (ctx, _a, o) =>
      o.drift ? (await import('./commands/status-drift.js')).statusWithDrift(ctx, { check: !!o.check }) : (await import('./commands/status.js')).status(ctx, { check: !!o.check }),
  },
  {
    name: 'history',
    usage: 'history',
    description: 'Every revision, newest first, drawn as a graph, with what is applied',
    run: async (ctx) => plain(await (await import('./commands/history.js')).history(ctx)),
  },
  {
    name: 'baseline',
    usage: 'baseline <revision>',
    description: 'Record a revision and its ancestors as applied without running them (adopting a database)',
    run: async (ctx, [revision]) => plain(await (await import('./commands/baseline.js')).baseline(ctx, { revision })),
  },
  {
    name: 'repair',
    usage: 'repair',
    description: 'Make the ledger agree with the files after a reviewed edit (needs --yes)',
    options: [
      ['--yes', 'Make the changes (without it, only show them)'],
      ['--prune', 'Also drop rows of applied revisions whose files are gone'],
    ],
    run: async (ctx, _a, o) => (await import('./commands/repair.js')).repair(ctx, { yes: !!o.yes, prune: !!o.prune }),
  },
  {
    name: 'heads',
    usage: 'heads',
    description: "The heads of the folder's graph (no database needed)",
    run: async (ctx) => plain(await (await import('./commands/heads.js')).heads(ctx)),
  },
  {
    name: 'verify',
    usage: 'verify',
    description: 'Check the revisions against git (published files unchanged, one head, order) for hooks and CI',
    options: [
      ['--staged', 'Check the index instead of the working tree (the pre-commit hook)'],
      ['--against <ref>', 'Also check the merge with <ref>, predicted with git merge-tree'],
      ['--db', 'Also check the ledger of the configured database'],
      ['--strict', 'Warnings count as errors'],
    ],
    run: async (ctx, _a, o) =>
      (await import('./commands/verify.js')).verify(ctx, { staged: !!o.staged, against: str(o.against), db: !!o.db, strict: !!o.strict }),
  },
  {
    name: 'hook',
    usage: 'hook <action>',
    description: 'install | uninstall: a git pre-commit hook running fmig verify --staged, keeping any hook already there',
    run: async (ctx, [action]) => plain(await (await import('./commands/hook.js')).hook(ctx, action)),
  },
  {
    name: 'resolve',
    usage: 'resolve',
    description: 'Put divergent heads in one line: rebase the later ones onto the first to reach git.main',
    options: [
      ['--merge', 'Join the heads with a merge revision instead (when both sides are applied somewhere)'],
      ['--dry-run', 'Print every rename and edit; change nothing'],
    ],
    run: async (ctx, _a, o) => plain(await (await import('./commands/resolve.js')).resolve(ctx, { merge: !!o.merge, dryRun: !!o.dryRun })),
  },
  {
    name: 'sync',
    usage: 'sync',
    description: 'After a branch switch: revert applied revisions the checkout lacks, then apply what is pending',
    options: [
      ['--yes', 'Go ahead on a database that is not the embedded one'],
      ['--dry-run', 'Print the plan; change nothing'],
    ],
    run: async (ctx, _a, o) => plain(await (await import('./commands/sync.js')).sync(ctx, { yes: !!o.yes, dryRun: !!o.dryRun })),
  },
  {
    name: 'check',
    usage: 'check',
    description: 'Round trip every revision (up, down, up) on a throwaway database, comparing schema snapshots',
    run: async (ctx) => (await import('./commands/check.js')).check(ctx),
  },
  {
    name: 'diff',
    usage: 'diff',
    description: 'Drift: compare the database with what its applied revisions give; exit 1 when they differ',
    run: async (ctx) => (await import('./commands/diff.js')).diff(ctx),
  },
  {
    name: 'schema',
    usage: 'schema',
    description: 'Print a normalised snapshot of the database schema',
    run: async (ctx) => plain(await (await import('./commands/schema.js')).schema(ctx)),
  },
];

/** Runs fmig with the given arguments; resolves to the exit code. */
export async function main(io: Io): Promise<number> {
  const argv = io.argv;
  const json = argv.includes('--json');
  const quiet = argv.includes('--quiet') || argv.includes('-q');
  const color = !argv.includes('--no-color') && !io.env.NO_COLOR && !!io.stderr.isTTY;
  const report = makeReporter(io, { json, quiet });
  try {
    return await dispatch(io, report, json);
  } catch (e) {
    report.progress('');
    return reportError(io, e, json, color);
  }
}

async function dispatch(io: Io, report: Reporter, json: boolean): Promise<number> {
  const cli = cac('fmig');
  cli.option('--config <path>', 'Use this migrate.toml instead of the one found by walking up');
  cli.option('--url <url>', 'Database URL (postgres://..., pglite://<dir>, pglite://memory)');
  cli.option('--json', 'Print one JSON document on stdout');
  cli.option('-q, --quiet', 'Print nothing but errors');
  cli.option('--no-color', 'No colour (there is none outside a TTY anyway)');
  let chosen: { spec: Spec; args: string[]; opts: Options } | undefined;
  for (const spec of COMMANDS) {
    const c = cli.command(spec.usage, spec.description);
    for (const a of spec.aliases ?? []) c.alias(a);
    for (const [flag, desc] of spec.options ?? []) c.option(flag, desc);
    c.action((...xs: unknown[]) => {
      const opts = xs.pop() as Options;
      chosen = { spec, args: xs.map((x) => (x === undefined ? undefined : String(x).replace(/^\u0000/, ''))) as string[], opts };
    });
  }
  cli.help();
  cli.version(version);

  const argv = negativeTargets(io.argv);
  let parsed;
  try {
    parsed = cli.parse(['node', 'fmig', ...argv], { run: false });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^error:\s*/i, ''), 'see `fmig --help`');
  }
  if (parsed.options.help || parsed.options.version) return 0;
  if (!cli.matchedCommand) {
    const word = parsed.args[0];
    if (word === undefined) {
      cli.outputHelp();
      return 0;
    }
    const near = closest(word, COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]));
    throw new UsageError(`unknown command "${word}"${near ? ` (did you mean "${near}"?)` : ''}`, 'see `fmig --help`');
  }
  try {
    await cli.runMatchedCommand();
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^error:\s*/i, ''), 'see `fmig --help`');
  }
  if (!chosen) return 0;
  const { spec, args, opts } = chosen;
  const ctx = makeContext(io, report, opts, json);
  const { result, exitCode } = await spec.run(ctx, args, opts);
  if (json) io.stdout.write(JSON.stringify(result, null, 2) + '\n');
  report.progress('');
  return exitCode ?? 0;
}

/** `down -1` / `down -10`: a negative count is a target, not a flag. */
function negativeTargets(argv: string[]): string[] {
  return argv.map((a) => (/^-\d+$/.test(a) ? `\u0000${a}` : a));
}

function makeContext(io: Io, report: Reporter, opts: Options, json: boolean): Context {
  let config: Promise<Config> | undefined;
  return {
    cwd: io.cwd,
    env: io.env,
    report,
    json,
    config: () =>
      (config ??= import('./adapters/config.js').then(({ loadConfig }) =>
        loadConfig({ cwd: io.cwd, configPath: str(opts.config), url: str(opts.url), env: io.env }),
      )),
  };
}

function makeReporter(io: Io, { json, quiet }: { json: boolean; quiet: boolean }): Reporter {
  const tty = !!io.stderr.isTTY && !quiet;
  let shown = false;
  const clear = () => {
    if (shown) io.stderr.write('\r\x1b[K');
    shown = false;
  };
  return {
    line(text) {
      if (json || quiet) return;
      clear();
      io.stdout.write(text + '\n');
    },
    warn(text) {
      if (quiet) return;
      clear();
      io.stderr.write(`warning: ${text}\n`);
    },
    progress(text) {
      if (!tty) return;
      clear();
      if (!text) return;
      const width = (io.stderr as { columns?: number }).columns ?? 100;
      io.stderr.write(text.length > width - 1 ? text.slice(0, width - 2) + '…' : text);
      shown = true;
    },
  };
}

function reportError(io: Io, e: unknown, json: boolean, color: boolean): number {
  if (e instanceof FmigError) {
    if (json) {
      io.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint ?? null, exitCode: e.exitCode } }, null, 2) + '\n');
    }
    const red = color ? (s: string) => `\x1b[31m${s}\x1b[0m` : (s: string) => s;
    io.stderr.write(`${red('error:')} ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
    return e.exitCode;
  }
  // The database refused one of fmig's own statements (a user without rights on the ledger,
  // say): what it said, not a stack.
  const dbe = toDbError(e);
  if (dbe) {
    const what = `the database refused: ${dbe.message}${dbe.sqlstate ? ` (SQLSTATE ${dbe.sqlstate})` : ''}${dbe.detail ? `; ${dbe.detail}` : ''}`;
    const hint = dbe.hint ?? (dbe.sqlstate === '42501' ? "the database user needs rights on fmig's ledger and log tables (and their schema)" : undefined);
    return reportError(io, new FmigError('database', what, 1, hint), json, color);
  }
  // Not one of fmig's errors: a bug or an unexpected failure. Exit 1, with the stack for a report.
  const err = e as Error;
  if (json) io.stdout.write(JSON.stringify({ error: { code: 'internal', message: String(err?.message ?? e), hint: null, exitCode: 1 } }) + '\n');
  io.stderr.write(`error: ${err?.stack ?? String(e)}\n`);
  return 1;
}
