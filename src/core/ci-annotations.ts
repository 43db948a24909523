/**
 * `fmig verify --format github|gitlab`: findings in the forms CI systems read, so that they show
 * on a pull request's diff. Generic over findings: whatever verify (and its rules) report, with
 * a line and column where a finding has them.
 *
 * - github: one GitHub Actions workflow command per finding,
 *   `::error file=<path>,line=<n>,col=<n>,title=<title>::<message>`, data escaped as the Actions
 *   runner unescapes it (`%`, CR, LF; in properties also `:` and `,`).
 * - gitlab: GitLab's Code Quality report, a JSON array of
 *   `{description, check_name, fingerprint, severity, location: {path, lines: {begin}}}`.
 */
import { describeFacts, type Finding, type Skipped } from './findings.js';

export type CiFormat = 'github' | 'gitlab';

/** A finding that also says where in its file (rules that read SQL give these). */
type Located = Finding & { line?: number; column?: number };

/** The message of a workflow command, escaped: `%`, CR and LF. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value of a workflow command, escaped: as data, and `:` and `,` too. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command: `::<command> k=v,k=v::<message>`. */
export function workflowCommand(command: string, properties: [string, string | number | undefined][], message: string): string {
  const props = properties.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  return `::${command}${props.length ? ' ' + props.join(',') : ''}::${escapeData(message)}`;
}

/** What a finding says in full: the message, where it came from in git, and the fix. */
function fullMessage(f: Finding): string {
  return `${f.message}${f.git ? ` (${describeFacts(f.git)})` : ''}\nfix: ${f.fix}`;
}

/** GitHub Actions: one line per finding (`::error`, `::warning`, else `::notice`), and a notice per skipped check. */
export function githubAnnotations(findings: readonly Finding[], skipped: readonly Skipped[]): string[] {
  const lines = findings.map((f) => {
    const at = f as Located;
    const command = f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'notice';
    return workflowCommand(
      command,
      [
        ['file', f.file],
        ['line', at.line],
        ['col', at.column],
        ['title', `fmig ${f.code}`],
      ],
      fullMessage(f),
    );
  });
  for (const s of skipped) lines.push(workflowCommand('notice', [['title', `fmig verify skipped ${s.check}`]], s.reason));
  return lines;
}

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number } };
}

/** GitLab Code Quality: one issue per finding; `fingerprint` makes a stable id of code, file and message. */
export function gitlabCodeQuality(findings: readonly Finding[], fingerprint: (text: string) => string): CodeQualityIssue[] {
  return findings.map((f) => {
    const at = f as Located;
    return {
      description: `${f.message}${f.git ? ` (${describeFacts(f.git)})` : ''} — fix: ${f.fix}`,
      check_name: f.code,
      fingerprint: fingerprint(`${f.code}\0${f.file}\0${f.message}`),
      severity: f.severity === 'error' ? 'major' : f.severity === 'warning' ? 'minor' : 'info',
      location: { path: f.file, lines: { begin: at.line ?? 1 } },
    };
  });
}
