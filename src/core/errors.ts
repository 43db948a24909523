/**
 * Every error fmig reports on purpose. Each carries the data it reports and the exit code of
 * SPEC section 6; the CLI maps them to exit codes in one place.
 */

/** 1: the input was understood but the state is wrong. 2: bad input. 3: database or lock unavailable. 130/143: stopped by SIGINT/SIGTERM. */
export type ExitCode = 1 | 2 | 3 | 130 | 143;

export class FmigError extends Error {
  readonly exitCode: ExitCode;
  /** A stable machine-readable code, e.g. `divergent-heads`. */
  readonly code: string;
  /** What the user can do next; printed after the message. */
  readonly hint?: string;
  /** What `--json` adds to the error beside code, message and hint (file, line, sqlstate ...). */
  readonly fields?: Record<string, unknown>;
  constructor(code: string, message: string, exitCode: ExitCode, hint?: string, fields?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
    this.hint = hint;
    this.fields = fields;
    this.name = new.target.name;
  }
}

/** Bad options or usage. */
export class UsageError extends FmigError {
  constructor(message: string, hint?: string) {
    super('usage', message, 2, hint);
  }
}

/** migrate.toml is wrong: every problem is listed. */
export class ConfigError extends FmigError {
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super('config', `${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`, 2);
    this.problems = problems;
  }
}

/** One problem with one or more revision files. */
export interface FileProblem {
  code: 'bad-name' | 'duplicate-id' | 'down-without-up' | 'unknown-directive' | 'parent-in-down' | 'bad-directive' | 'not-utf8' | 'unknown-parent' | 'cycle' | 'psql-meta-command' | 'changed-while-read';
  files: string[];
  message: string;
}

/** The folder does not parse or does not form a graph. Lists every offending file. */
export class FolderError extends FmigError {
  readonly problems: FileProblem[];
  constructor(problems: FileProblem[]) {
    super(
      problems[0]?.code ?? 'folder',
      problems.length === 1
        ? problems[0].message
        : `${problems.length} problems in the revision folder:\n  ${problems.map((p) => p.message).join('\n  ')}`,
      2,
    );
    this.problems = problems;
  }
}

export interface HeadInfo {
  revision: string;
  slug: string;
  file: string;
  /** Where it came from in git, when known: "abc1234 by Ann <a@x> on 2026-01-02 (branch feature/x)". */
  origin?: string;
}

/** `up` or `new` needs exactly one head and the graph has several. */
export class DivergentHeads extends FmigError {
  readonly heads: HeadInfo[];
  constructor(heads: HeadInfo[], command: string) {
    super(
      'divergent-heads',
      `divergent heads: ${command} needs one head, the revision graph has ${heads.length}:\n` +
        heads.map((h) => `  ${h.revision} ${h.slug}  (${h.file})${h.origin ? `\n      ${h.origin}` : ''}`).join('\n'),
      1,
      'run `fmig resolve` to put them in one line (or `fmig resolve --merge` to join them with a merge revision)',
    );
    this.heads = heads;
  }
}

/** The ledger disagrees with the files in a way that makes running unsafe. */
export class DriftError extends FmigError {
  readonly drift: string[];
  constructor(drift: string[], hint: string) {
    super('drift', `refusing to run: ${drift.length === 1 ? drift[0] : `\n  ${drift.join('\n  ')}`}`, 1, hint);
    this.drift = drift;
  }
}

/** The state forbids the command (failed revision waiting, missing down file, non-empty ledger ...). */
export class StateError extends FmigError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, 1, hint);
  }
}

/** A migration statement failed. `report` is the compiler-style text. */
export class MigrationFailed extends FmigError {
  constructor(message: string, hint?: string, fields?: Record<string, unknown>) {
    super('migration-failed', message, 1, hint, fields);
  }
}

/** The database could not be reached, or the lock not had in time. */
export class UnreachableError extends FmigError {
  constructor(message: string, hint?: string, code = 'unreachable') {
    super(code, message, 3, hint);
  }
}
