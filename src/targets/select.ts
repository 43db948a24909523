/** Which targets a command runs on: `--target <name>` (repeatable) or `--all`, checked against migrate.toml. */
import { relative } from 'node:path';
import type { Config, TargetSettings } from '../adapters/config-types.js';
import { ConfigError, UsageError } from '../core/errors.js';
import { closest } from '../core/suggest.js';

export interface Selection {
  /** `--target` names, in the order given. */
  names: string[];
  /** `--all`: every target of migrate.toml. */
  all: boolean;
}

/** The targets named; UsageError for an unknown name, ConfigError for one whose values are wrong. */
export function selectTargets(config: Config, sel: Selection, cwd: string): TargetSettings[] {
  const file = config.file ? relative(cwd, config.file) || config.file : 'migrate.toml';
  if (!config.targets.length) {
    throw new UsageError(
      `${sel.all ? '--all' : `--target ${sel.names[0]}`}: ${config.file ? `${file} has no [targets]` : 'no migrate.toml found, so there are no targets'}`,
      'add a table such as [targets.eu] with url = "${EU_DATABASE_URL}" (and schemas = "select ..." for one run per tenant schema)',
    );
  }
  if (sel.all && sel.names.length) throw new UsageError('--all and --target together: --all is every target already');
  const known = config.targets.map((t) => t.name);
  const chosen = sel.all ? config.targets : [...new Set(sel.names)].map((n) => {
    const t = config.targets.find((x) => x.name === n);
    if (!t) {
      const near = closest(n, known);
      throw new UsageError(`--target ${n}: no [targets.${n}] in ${file}${near ? ` (did you mean ${near}?)` : ''}`, `the targets are: ${known.join(', ')}`);
    }
    return t;
  });
  const problems = chosen.flatMap((t) => t.problems);
  if (problems.length) throw new ConfigError(file, problems);
  return chosen;
}

/** Whether the selection runs as a fan-out (a line per run and a summary) rather than as one plain command. */
export function isFanOut(sel: Selection, chosen: TargetSettings[]): boolean {
  return sel.all || chosen.length > 1 || chosen.some((t) => t.schemas !== null);
}
