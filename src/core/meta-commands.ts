/**
 * psql meta-commands (`\set`, `\i`, `\gset`, `\connect`, `\;` ...) are instructions to psql,
 * not SQL: a file holding one is a psql script, which fmig refuses before running anything.
 * pg_dump's `\restrict` / `\unrestrict` lines are the exception (see split.ts).
 */
import type { FileProblem } from './errors.js';
import type { Finding } from './findings.js';
import { lineOf } from './position.js';
import { metaCommands } from './split.js';

/** One problem per file that holds meta-commands, naming the file, line and command of each (the first few). */
export function metaCommandProblems(files: readonly { label: string; text: string }[]): FileProblem[] {
  const problems: FileProblem[] = [];
  for (const f of files) {
    // A backslash is the only way in; most files have none, and skip the scan.
    if (!f.text.includes('\\')) continue;
    const found = metaCommands(f.text);
    if (!found.length) continue;
    const where = found.slice(0, 3).map((m) => `${f.label}:${lineOf(f.text, m.offset)}: ${m.command}`);
    const more = found.length > 3 ? ` (and ${found.length - 3} more)` : '';
    problems.push({
      code: 'psql-meta-command',
      files: [f.label],
      message:
        `${where.join(', ')}${more}: a psql meta-command, not SQL; fmig runs SQL files, not psql scripts. ` +
        'Nothing was run: write it in SQL (a DO block, or a revision of its own), or run the script with psql',
    });
  }
  return problems;
}

/** `verify`'s findings: one error per revision file holding psql meta-commands. */
export function metaCommandFindings(files: readonly { name: string; text: string }[], dir: string): Finding[] {
  const path = (name: string) => (dir === '.' ? name : `${dir}/${name}`);
  return metaCommandProblems(files.map((f) => ({ label: path(f.name), text: f.text }))).map((p) => ({
    code: p.code,
    severity: 'error' as const,
    file: p.files[0],
    message: p.message.replace(/\. Nothing was run: .*$/, ''),
    fix: 'write it in SQL (a DO block, or a revision of its own); fmig runs SQL files, not psql scripts',
  }));
}
