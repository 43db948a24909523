/**
 * What the command line says about itself: help text tidied for fmig, the names Alembic users
 * type (as aliases, or answered with what fmig uses instead), and "did you mean" for options.
 */
import { UsageError } from './core/errors.js';
import { closest } from './core/suggest.js';

/** Alembic's names that fmig takes as they are (the command's aliases). */
export const ALEMBIC_ALIASES: [string, string][] = [
  ['upgrade', 'up'],
  ['downgrade', 'down'],
  ['revision', 'new'],
  ['current', 'status'],
];

/** Commands of other tools that fmig does not have, with what it uses instead. */
const INSTEAD_COMMANDS: Record<string, string> = {
  stamp: 'to record revisions as applied without running them, use `fmig baseline <revision>` (an empty ledger) or, after a reviewed edit, `fmig repair --yes`',
  merge: 'to join divergent heads, use `fmig resolve` (rebase, the default) or `fmig resolve --merge` (a merge revision, as Alembic writes)',
  show: 'to see revisions, use `fmig history` (every revision, with what is applied) or `fmig status` (applied, pending, drift)',
  branches: 'to see the heads of the revision graph, use `fmig heads`; `fmig history` draws the branches',
  migrate: 'to apply pending revisions, use `fmig up`',
  rollback: 'to revert the last revision, use `fmig down` (or `fmig down -N`)',
  create: 'to create a revision, use `fmig new <slug>`',
  info: 'to see what is applied and pending, use `fmig status`',
  validate: 'to check the revisions, use `fmig verify` (files and git) or `fmig status --check` (the database)',
};

/** Options of other tools that fmig does not have, with what it uses instead. */
const INSTEAD_OPTIONS: Record<string, string> = {
  sql: '`fmig up --sql` (and `fmig down --sql`) prints the run as one script for psql, as Alembic\'s `upgrade head --sql` does; `--dry-run` prints the plan and changes nothing',
};

/** The help sections cac made, made right for fmig: no "(default: true)" for --no-* flags, the Alembic names in the overall help. */
export function tidyHelp(sections: { title?: string; body: string }[]): { title?: string; body: string }[] {
  const out = sections.map((s) => ({ ...s, body: s.body.replace(/ \(default: true\)$/gm, '').replace(/ +$/gm, '') }));
  const commands = out.findIndex((s) => s.title === 'Commands');
  if (commands !== -1) {
    const width = Math.max(...ALEMBIC_ALIASES.map(([a]) => a.length));
    out.splice(commands + 1, 0, {
      title: 'Alembic names',
      body: [
        ...ALEMBIC_ALIASES.map(([alias, name]) => `  ${alias.padEnd(width)}  = fmig ${name}`),
        '  stamp, merge, show and branches answer with what fmig uses instead',
      ].join('\n'),
    });
  }
  // cac prints the examples bare: they read as commands to type.
  const examples = out.find((s) => s.title === 'Examples');
  if (examples) examples.body = examples.body.replace(/^(?!\s)/gm, '  $ ');
  return out;
}

/** The error for a word that is not a command: what fmig uses instead, or the nearest command. */
export function unknownCommand(word: string, names: string[]): UsageError {
  const instead = INSTEAD_COMMANDS[word.toLowerCase()];
  if (instead) return new UsageError(`fmig has no "${word}" command`, instead);
  const near = closest(word, names);
  return new UsageError(`unknown command "${word}"${near ? ` (did you mean "${near}"?)` : ''}`, 'see `fmig --help`');
}

/** The error for cac's "Unknown option `--x`": what fmig uses instead, or the nearest option of this command; and where its help is. */
export function unknownOption(message: string, command: string | undefined, options: string[]): UsageError | null {
  const m = /^Unknown option `(-{1,2})([^`]+)`/.exec(message);
  if (!m) return null;
  // cac reports `--dry-run` as `--dryRun`: shown as typed.
  const name = m[1] + m[2].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const help = command ? `see \`fmig ${command} --help\`` : 'see `fmig --help`';
  const instead = INSTEAD_OPTIONS[name.replace(/^-+/, '')];
  if (instead) return new UsageError(`fmig${command ? ` ${command}` : ''} has no ${name} option`, `${instead}; ${help}`);
  const near = options.find((o) => o.startsWith(name) && name.length >= 3) ?? closest(name, options);
  return new UsageError(`unknown option ${name}${command ? ` for fmig ${command}` : ''}${near ? ` (did you mean ${near}?)` : ''}`, help);
}
