/**
 * The command line: parses options, lazy-imports the command, prints its result, and turns
 * errors into exit codes in one place (0 done, 1 wrong state, 2 bad input, 3 unreachable).
 */
import { cac } from 'cac';
import type { Config } from './adapters/config-types.js';
import type { Context, Reporter } from './commands/context.js';
import { toDbError } from './adapters/db/driver.js';
import { FmigError, UsageError } from './core/errors.js';
import { errorJson } from './cli-error-json.js';
import { tidyHelp, unknownCommand, unknownOption } from './cli-help.js';
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
type Runner = (ctx: Context, args: string[], opts: Options) => Promise<{ result: unknown; exitCode?: number; output?: string }>;

interface Spec {
  name: string;
  usage: string;
  description: string;
  aliases?: string[];
  options?: [string, string][];
  /** Two or three command lines that end the command's help. */
  examples?: string[];
  run: Runner;
}

const str = (v: unknown): string | undefined => (v === undefined || v === true ? undefined : String(v));
const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(/[\s,]+/)).filter(Boolean));
const plain = (result: unknown) => ({ result });
/** A `--keep`-style count: a whole number from 1; undefined when not given. */
const keepCount = (v: unknown, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v === true ? '' : String(v)}`.trim() + ': expected a whole number from 1', `e.g. ${flag} 5`);
  return n;
};

/** A command whose output is a script (`--sql`): printed as it is, whatever --quiet says; with --json, in the JSON. */
const script = (result: { script: string }) => ({ result, output: result.script });
/** --from belongs to --sql. */
const noFrom = (o: Options): Record<string, never> => {
  if (o.from !== undefined) throw new UsageError('--from goes with --sql', '`fmig up --sql --from <rev>` writes the script for a database at <rev>');
  return {};
};

const COMMANDS: Spec[] = [
  {
    name: 'init',
    usage: 'init',
    description: 'Write migrate.toml and sql/, and add .fmig/ to .gitignore (never overwrites)',
    examples: ['fmig init', 'fmig init && fmig new create_users'],
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
    examples: ['fmig new add_invoices', 'fmig new -m "add invoices"', 'fmig new add_index --no-transaction'],
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
      ['--ignore-missing', 'Go on although applied revisions have no files here (an older release in a rolling deploy)'],
      ['--backup', 'Back up the database first when there is something to apply ([backup] before_up); --no-backup: not even then'],
      ['--backup-keep <n>', 'With the backup: keep only the newest <n> backups of this database'],
      ['--sql', 'Print the run as one script for psql (changes nothing); the state is read from the ledger, or given with --from'],
      ['--from <rev>', 'With --sql: the revision the database is at (base: none), so no connection is needed'],
    ],
    examples: ['fmig up --dry-run', 'fmig up --backup --url $DATABASE_URL', 'fmig up --sql --from 000041 > deploy.sql'],
    run: async (ctx, [target], o) => {
      const opts = { target, dryRun: !!o.dryRun, singleTransaction: !!o.singleTransaction, resume: !!o.resume, ignoreMissing: !!o.ignoreMissing };
      if (!o.sql) {
        const backup = o.backup === undefined ? (o.backupKeep !== undefined ? true : undefined) : !!o.backup;
        return plain(await (await import('./commands/up.js')).up(ctx, { ...opts, backup, backupKeep: keepCount(o.backupKeep, '--backup-keep'), ...noFrom(o) }));
      }
      if (o.dryRun || o.resume) throw new UsageError(`--sql does not go with --${o.dryRun ? 'dry-run' : 'resume'}`, 'the script is a plan already; finish a revision that stopped part-way with `fmig up --resume` first');
      if (o.backup || o.backupKeep !== undefined) throw new UsageError('--sql does not go with --backup', 'the script changes nothing here; take the backup where it is run (`fmig backup`)');
      return script(await (await import('./commands/sql-script.js')).upScript(ctx, { ...opts, from: str(o.from)?.replace(/^\u0000/, '') }));
    },
  },
  {
    name: 'down',
    usage: 'down [target]',
    aliases: ['downgrade'],
    description: 'Revert -1 (default), -N, the applied descendants of a revision id (it stays applied), or base',
    options: [
      ['--dry-run', 'Print the plan and the SQL; change nothing'],
      ['--accept-edited', 'Run down files edited since their revision was applied, as they are now'],
      ['--from-ledger', 'Run the down SQL the ledger kept when each revision was applied, not the files'],
      ['--resume', 'Finish a revert that stopped part-way, from where it stopped'],
      ['--sql', 'Print the run as one script for psql (changes nothing); the state is read from the ledger, or given with --from'],
      ['--from <rev>', 'With --sql: the revision the database is at, so no connection is needed'],
    ],
    examples: ['fmig down', 'fmig down -3 --dry-run', 'fmig down 000040_add_users'],
    run: async (ctx, [target], o) => {
      const opts = { target, dryRun: !!o.dryRun, acceptEdited: !!o.acceptEdited, fromLedger: !!o.fromLedger, resume: !!o.resume };
      if (!o.sql) return plain(await (await import('./commands/down.js')).down(ctx, { ...opts, ...noFrom(o) }));
      if (o.dryRun || o.resume) throw new UsageError(`--sql does not go with --${o.dryRun ? 'dry-run' : 'resume'}`, 'the script is a plan already; finish a revert that stopped part-way with `fmig down --resume` first');
      return script(await (await import('./commands/sql-script.js')).downScript(ctx, { ...opts, from: str(o.from)?.replace(/^\u0000/, '') }));
    },
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
    examples: ['fmig status', 'fmig status --check --url $DATABASE_URL', 'fmig status --drift --json'],
    run: async (ctx, _a, o) =>
      o.drift ? (await import('./commands/status-drift.js')).statusWithDrift(ctx, { check: !!o.check }) : (await import('./commands/status.js')).status(ctx, { check: !!o.check }),
  },
  {
    name: 'history',
    usage: 'history',
    description: 'Every revision, newest first, drawn as a graph, with what is applied',
    examples: ['fmig history', 'fmig history --json'],
    run: async (ctx) => plain(await (await import('./commands/history.js')).history(ctx)),
  },
  {
    name: 'baseline',
    usage: 'baseline <revision>',
    description: 'Record a revision and its ancestors as applied without running them (adopting a database)',
    examples: ['fmig baseline 000042 --url $DATABASE_URL', 'fmig baseline 000042_add_invoices'],
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
    examples: ['fmig repair', 'fmig repair --yes', 'fmig repair --prune --yes'],
    run: async (ctx, _a, o) => (await import('./commands/repair.js')).repair(ctx, { yes: !!o.yes, prune: !!o.prune }),
  },
  {
    name: 'heads',
    usage: 'heads',
    description: "The heads of the folder's graph (no database needed)",
    examples: ['fmig heads', 'fmig heads --json'],
    run: async (ctx) => plain(await (await import('./commands/heads.js')).heads(ctx)),
  },
  {
    name: 'verify',
    usage: 'verify',
    description: "Check the revisions against git (published files unchanged, one head, order) and lint the new ones' SQL, for hooks and CI",
    options: [
      ['--staged', 'Check the index instead of the working tree (the pre-commit hook)'],
      ['--against <ref>', 'Also check the merge with <ref>, predicted with git merge-tree'],
      ['--db', 'Also check the ledger of the configured database'],
      ['--strict', 'Warnings count as errors'],
      ['--all', "Lint every revision's SQL, not only the revisions new on this branch"],
      ['--format <format>', 'text (default), github (GitHub Actions annotations) or gitlab (Code Quality JSON)'],
    ],
    examples: ['fmig verify', 'fmig verify --staged', 'fmig verify --against origin/main --format github'],
    run: async (ctx, _a, o) =>
      (await import('./commands/verify.js')).verify(ctx, { staged: !!o.staged, against: str(o.against), db: !!o.db, strict: !!o.strict, all: !!o.all, format: verifyFormat(o.format, ctx.json) }),
  },
  {
    name: 'hook',
    usage: 'hook <action>',
    description: 'install | uninstall: git pre-commit and pre-merge-commit hooks running fmig verify --staged, keeping any hook already there',
    options: [['--sync', 'Also post-checkout and post-merge hooks running fmig sync (the embedded development database)']],
    examples: ['fmig hook install', 'fmig hook install --sync', 'fmig hook uninstall'],
    run: async (ctx, [action], o) => plain(await (await import('./commands/hook.js')).hook(ctx, action, { sync: !!o.sync })),
  },
  {
    name: 'resolve',
    usage: 'resolve',
    description: 'Put divergent heads in one line: rebase the later ones onto the first to reach git.main',
    options: [
      ['--merge', 'Join the heads with a merge revision instead (when both sides are applied somewhere)'],
      ['--dry-run', 'Print every rename and edit, with the ids the real run uses; change nothing'],
      ['--yes', 'Revert and re-apply moved revisions applied in a database that is not the embedded one (a development server)'],
      ['--force', 'Rebase even when replaying the two orders of the sides gives different schemas or fails'],
    ],
    examples: ['fmig resolve --dry-run', 'fmig resolve', 'fmig resolve --merge'],
    run: async (ctx, _a, o) => plain(await (await import('./commands/resolve.js')).resolve(ctx, { merge: !!o.merge, dryRun: !!o.dryRun, yes: !!o.yes, force: !!o.force })),
  },
  {
    name: 'sync',
    usage: 'sync',
    description: 'After a branch switch: revert applied revisions the checkout lacks, then apply what is pending',
    options: [
      ['--yes', 'Go ahead on a database that is not the embedded one'],
      ['--dry-run', 'Print the plan; change nothing'],
    ],
    examples: ['fmig sync', 'fmig sync --dry-run', 'fmig sync --yes --url postgres://localhost/dev'],
    run: async (ctx, _a, o) => plain(await (await import('./commands/sync.js')).sync(ctx, { yes: !!o.yes, dryRun: !!o.dryRun })),
  },
  {
    name: 'check',
    usage: 'check',
    description: 'Round trip every revision (up, down, up) on a throwaway database, comparing schema snapshots',
    examples: ['fmig check', 'fmig check --url postgres://localhost/postgres'],
    run: async (ctx) => (await import('./commands/check.js')).check(ctx),
  },
  {
    name: 'import',
    usage: 'import [their-folder]',
    examples: ['fmig import --from alembic . --alembic "python3 -m alembic"', 'fmig import --from golang-migrate migrations/ --dry-run', 'fmig import --from flyway --url $DATABASE_URL'],
    description: "Write an fmig folder from another tool's migrations; with --url, adopt a database it migrated",
    options: [
      ['--from <tool>', 'alembic, golang-migrate, goose, dbmate, flyway, diesel or prisma'],
      ['--dir <folder>', "fmig's folder to write (default: dir of migrate.toml)"],
      ['--dry-run', 'Print the mapping (and with --url what would be recorded); change nothing'],
      ['--alembic <command>', 'How to run Alembic (default "alembic"), e.g. "python3 -m alembic"'],
      ['--table <name>', "The tool's ledger table, where it is not the tool's default"],
    ],
    run: async (ctx, [folder], o) =>
      plain(
        await (await import('./commands/import.js')).importFrom(ctx, {
          from: str(o.from),
          folder,
          dir: str(o.dir),
          adopt: str(o.url) !== undefined,
          dryRun: !!o.dryRun,
          alembic: str(o.alembic),
          table: str(o.table),
        }),
      ),
  },
  {
    name: 'diff',
    usage: 'diff',
    examples: ['fmig diff', 'fmig diff --url $DATABASE_URL --json'],
    description: 'Drift: compare the database with what its applied revisions give; exit 1 when they differ',
    run: async (ctx) => (await import('./commands/diff.js')).diff(ctx),
  },
  {
    name: 'backup',
    usage: 'backup',
    description: 'Back up the database: pg_dump --format=custom on a server, the data directory of the embedded one',
    options: [
      ['--out <file>', 'Write it here (default: [backup] dir, .fmig/backups/<database>-<UTC time>-at-<head>.dump or .tar.gz)'],
      ['--keep <n>', 'Keep only the newest <n> backups of this database in that folder'],
    ],
    examples: ['fmig backup', 'fmig backup --url $DATABASE_URL --out before-release.dump', 'fmig backup --keep 10'],
    run: async (ctx, _a, o) => plain(await (await import('./commands/backup.js')).backup(ctx, { out: str(o.out), keep: keepCount(o.keep, '--keep') })),
  },
  {
    name: 'restore',
    usage: 'restore <file>',
    description: 'Restore a backup into an empty database named with --url (never over one that holds anything)',
    options: [
      ['--yes', 'Go ahead on a server'],
      ['--no-owner', 'Server only: leave out the original owners and grants (roles that do not exist here)'],
    ],
    examples: ['fmig restore .fmig/backups/app-20261202T101500Z-before-000042.dump --url postgres://localhost/app_restored --yes', 'fmig restore backup.tar.gz --url pglite://.fmig/restored'],
    run: async (ctx, [file], o) => {
      if (str(o.url) === undefined) throw new UsageError('restore needs --url: the database to restore into, named on the command line', 'e.g. `fmig restore <file> --url postgres://localhost/app_restored --yes`');
      return plain(await (await import('./commands/restore.js')).restore(ctx, { file, yes: !!o.yes, noOwner: o.owner === false }));
    },
  },
  {
    name: 'wait',
    usage: 'wait',
    description: 'Wait until the database is reachable and its ledger has the head(s) or a revision (a readiness gate); exit 3 on timeout',
    options: [
      ['--at-least <rev>', 'Wait for this revision instead of the folder\'s head(s)'],
      ['--head', "Wait for the folder's head(s) (the default)"],
      ['--timeout <duration>', 'How long to wait, e.g. 30s or 5m (default 5m; 0 = as long as it takes)'],
    ],
    examples: ['fmig wait', 'fmig wait --at-least 000042 --timeout 2m', 'fmig wait --timeout 0 && exec node server.js'],
    run: async (ctx, _a, o) => plain(await (await import('./commands/wait.js')).wait(ctx, { atLeast: str(o.atLeast), head: !!o.head, timeout: str(o.timeout) })),
  },
  {
    name: 'schema',
    usage: 'schema',
    description: 'Print a normalised snapshot of the database schema',
    examples: ['fmig schema', 'fmig schema --url $DATABASE_URL > schema.txt'],
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

async function dispatch(io: Io, report: Reporter, json: boolean, everyCommand = false): Promise<number> {
  const cli = cac('fmig');
  cli.option('--config <path>', 'Use this migrate.toml instead of the one found by walking up');
  cli.option('--url <url>', 'Database URL (postgres://..., pglite://<dir>, pglite://memory)');
  cli.option('--lock-wait <duration>', "How long to wait for another fmig holding fmig's lock (database.lock_wait), e.g. 30s");
  cli.option('--target <name>', 'Run on this [targets.<name>] of migrate.toml (repeatable)');
  cli.option('--all', "Run on every target of migrate.toml (up, status, verify --db); verify: also lint every revision's SQL");
  cli.option('-j, --jobs <n>', 'With --target/--all: how many targets run at once (default 4)');
  cli.option('--fail-fast', 'With --target/--all: start no further target once one has failed');
  cli.option('--json', 'Print one JSON document on stdout');
  cli.option('-q, --quiet', 'Print nothing but errors');
  cli.option('--no-color', 'No colour (there is none outside a TTY anyway)');
  let chosen: { spec: Spec; args: string[]; opts: Options } | undefined;
  // cac parses the arguments once per command it knows until one matches: it knows only those
  // the arguments name (the command word is one of them), or all for help, when none is named,
  // or when none of those named matched (a word that was an option's value).
  const named = everyCommand ? [] : COMMANDS.filter((c) => [c.name, ...(c.aliases ?? [])].some((w) => io.argv.includes(w)));
  const known = named.length && !io.argv.some((a) => a === '--help' || a === '-h') ? named : COMMANDS;
  for (const spec of known) {
    const c = cli.command(spec.usage, spec.description);
    for (const a of spec.aliases ?? []) c.alias(a);
    for (const [flag, desc] of spec.options ?? []) c.option(flag, desc);
    for (const e of spec.examples ?? []) c.example(e);
    c.action((...xs: unknown[]) => {
      const opts = Object.fromEntries(Object.entries(xs.pop() as Options).map(([k, v]) => [k, unmark(v)])) as Options;
      chosen = { spec, args: xs.map((x) => (x === undefined ? undefined : String(x).replace(/^\u0000/, ''))) as string[], opts };
    });
  }
  cli.help(tidyHelp);
  cli.version(version);

  refuseMisplacedVersion(io.argv);
  const argv = negativeTargets(io.argv);
  let parsed;
  try {
    parsed = cli.parse(['node', 'fmig', ...argv], { run: false });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^error:\s*/i, ''), 'see `fmig --help`');
  }
  if (parsed.options.help || parsed.options.version) return 0;
  if (!cli.matchedCommand) {
    if (known !== COMMANDS) return dispatch(io, report, json, true);
    const word = parsed.args[0];
    if (word === undefined) {
      cli.outputHelp();
      return 0;
    }
    throw unknownCommand(word, COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]));
  }
  try {
    await cli.runMatchedCommand();
  } catch (e) {
    const command = cli.matchedCommand;
    const flags = [...command.options, ...cli.globalCommand.options].flatMap((o) => o.rawName.match(/--?[\w-]+/g) ?? []);
    throw unknownOption((e as Error).message, command.name, flags) ?? new UsageError((e as Error).message.replace(/^error:\s*/i, ''), `see \`fmig ${command.name} --help\``);
  }
  if (!chosen) return 0;
  const { spec, args, opts: given } = chosen;
  // `verify --all` without --db lints every revision and needs no database: no targets then.
  const opts: Options = spec.name === 'verify' && !given.db ? { ...given, allTargets: false } : { ...given, allTargets: !!given.all };
  if ((opts.jobs !== undefined || opts.failFast) && opts.target === undefined && !opts.allTargets) {
    throw new UsageError(`${opts.jobs !== undefined ? '-j' : '--fail-fast'} goes with --target or --all`, 'e.g. `fmig up --all -j 8`');
  }
  const ctx = makeContext(io, report, opts, json);
  // up, down, status and verify also go through targets/: a glob `dir` fans out without targets.
  const fanOut = opts.target !== undefined || opts.allTargets || ['up', 'down', 'status', 'verify'].includes(spec.name);
  const { result, exitCode, output }: Awaited<ReturnType<Runner>> = await (fanOut ? onTargets(ctx, spec, args, opts) : spec.run(ctx, args, opts));
  if (json) io.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else if (output !== undefined) io.stdout.write(output);
  report.progress('');
  return exitCode ?? 0;
}

/** The command on the targets `--target`/`--all` name (targets/fan-out.ts). */
async function onTargets(ctx: Context, spec: Spec, args: string[], opts: Options): Promise<{ result: unknown; exitCode?: number; output?: string }> {
  if (opts.url !== undefined && (opts.target !== undefined || opts.allTargets)) throw new UsageError('--url and --target/--all both name a database: give one of them', 'a target without url uses the configured database (FMIG_DATABASE_URL, DATABASE_URL, database.url)');
  const { onTargets: run } = await import('./targets/fan-out.js');
  return run(
    ctx,
    {
      command: spec.name,
      names: list(opts.target),
      all: !!opts.allTargets,
      jobs: str(opts.jobs),
      failFast: !!opts.failFast,
      verify: spec.name === 'verify' ? { staged: !!opts.staged, against: str(opts.against), db: !!opts.db, strict: !!opts.strict } : undefined,
      errorJson,
    },
    (c) => spec.run(c, args, opts),
  );
}

/**
 * `-v`/`--version` is the version only when it is the only argument: anywhere else it is an
 * unknown option, so that `fmig up -v` in a deploy fails instead of printing the version and
 * migrating nothing.
 */
function refuseMisplacedVersion(argv: string[]): void {
  if (argv.length === 1) return;
  const end = argv.indexOf('--');
  const flag = (end === -1 ? argv : argv.slice(0, end)).find((a) => a === '-v' || a === '--version' || a.startsWith('--version='));
  if (flag) throw new UsageError(`unknown option \`${flag}\`: -v/--version prints fmig's version only when given alone (\`fmig --version\`)`, 'see `fmig --help`');
}

/** `verify --format`: text, github or gitlab; not with --json, which is a format of its own. */
function verifyFormat(v: unknown, json: boolean): 'text' | 'github' | 'gitlab' {
  const format = str(v) ?? 'text';
  if (format !== 'text' && format !== 'github' && format !== 'gitlab') throw new UsageError(`--format ${format}: not a format verify writes`, 'use text (the default), github or gitlab');
  if (json && format !== 'text') throw new UsageError(`--json and --format ${format} are two output formats`, 'give one of them');
  return format;
}

/** Options whose value names a revision: `000042` must stay text, not become the number 42. */
const REVISION_OPTIONS = new Set(['--parent', '--at-least', '--from']);

/**
 * `down -1` / `down -10`: a negative count is a target, not a flag. And the value of an option
 * naming a revision is kept as text (the argument parser turns what looks like a number into one).
 * Both are marked with a NUL, which `unmark` takes off again.
 */
function negativeTargets(argv: string[]): string[] {
  return argv.map((a, i) => {
    if (/^-\d+$/.test(a)) return `\u0000${a}`;
    const eq = /^(--[\w-]+)=(.*)$/s.exec(a);
    if (eq && REVISION_OPTIONS.has(eq[1])) return `${eq[1]}=\u0000${eq[2]}`;
    return i > 0 && REVISION_OPTIONS.has(argv[i - 1]) && !a.startsWith('-') ? `\u0000${a}` : a;
  });
}

function unmark(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/^\u0000/, '');
  return Array.isArray(v) ? v.map(unmark) : v;
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
        loadConfig({ cwd: io.cwd, configPath: str(opts.config), url: str(opts.url), lockWait: opts.lockWait === undefined ? undefined : String(opts.lockWait), env: io.env }),
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
    width: io.stdout.isTTY ? ((io.stdout as { columns?: number }).columns ?? 80) : undefined,
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
      io.stdout.write(JSON.stringify({ error: errorJson(e) }, null, 2) + '\n');
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
    return reportError(io, new FmigError('database', what, 1, hint, { sqlstate: dbe.sqlstate ?? null, detail: dbe.detail ?? null }), json, color);
  }
  // Not one of fmig's errors: a bug or an unexpected failure. Exit 1, with the stack for a report.
  const err = e as Error;
  if (json) io.stdout.write(JSON.stringify({ error: { code: 'internal', message: String(err?.message ?? e), hint: null, exitCode: 1 } }) + '\n');
  io.stderr.write(`error: ${err?.stack ?? String(e)}\n`);
  return 1;
}
