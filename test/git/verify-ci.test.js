// `fmig verify --format github|gitlab`: findings as GitHub Actions workflow commands (checked
// against the command grammar, escapes undone as the runner undoes them) and as GitLab's Code
// Quality JSON. The repository holds findings whose text needs every escape: a file name with
// `%`, `,` and `:`, a published revision edited (git facts), and skipped checks (notices).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gitRepo, revision, cleanup } from '../helpers/git.js';
import { escapeData, escapeProperty, githubAnnotations, workflowCommand } from '../../dist/core/ci-annotations.js';

test.after.each(cleanup);

/** The workflow-command grammar: `::name[ key=value(,key=value)*]::message`, nothing unescaped that would end a part. */
const COMMAND = /^::(error|warning|notice)(?: ((?:file|line|endLine|col|endColumn|title)=[^,:\r\n]*(?:,(?:file|line|endLine|col|endColumn|title)=[^,:\r\n]*)*))?::([^\r\n]*)$/;

const unescape = (s) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

/** Parses a workflow command as the runner does; fails the test when a line is not one. */
function parse(line) {
  const m = COMMAND.exec(line);
  assert.ok(m, `not a workflow command: ${JSON.stringify(line)}`);
  const props = Object.fromEntries((m[2] ? m[2].split(',') : []).map((kv) => [kv.slice(0, kv.indexOf('=')), unescape(kv.slice(kv.indexOf('=') + 1))]));
  for (const v of m[3].matchAll(/%../g)) assert.ok(['%25', '%0D', '%0A', '%3A', '%2C'].includes(v[0]), `stray escape ${v[0]}`);
  return { command: m[1], props, message: unescape(m[3]) };
}

async function repoWithFindings() {
  return gitRepo({
    files: { 'migrate.toml': 'dir = "sql"\n', ...revision('0001', 'users') },
    steps: [{ branch: 'feature' }, { commit: { 'sql/0001_users.up.sql': 'create table users (id bigint);\n', 'sql/50%,off: sale.sql': 'select 1;\n' } }],
  });
}

test('--format github: one workflow command per finding, file and title as properties, escapes that round-trip', async () => {
  const repo = await repoWithFindings();
  const json = await repo.fmig('verify', '--json');
  const r = await repo.fmig('verify', '--format', 'github');
  assert.is(r.code, 1, r.stderr);
  assert.is(r.code, json.code);
  const lines = r.stdout.trimEnd().split('\n');
  const parsed = lines.map(parse);
  const findings = parsed.filter((p) => !p.props.title.startsWith('fmig verify skipped'));
  assert.is(findings.length, json.json.findings.length, 'one command per finding');
  for (const [i, f] of json.json.findings.entries()) {
    const p = findings[i];
    assert.is(p.command, f.severity === 'error' ? 'error' : 'warning');
    assert.is(p.props.line, undefined, 'no line where the finding has none');
    assert.is(p.props.file, f.file);
    assert.is(p.props.title, `fmig ${f.code}`);
    assert.ok(p.message.startsWith(f.message), p.message);
    assert.ok(p.message.endsWith(`\nfix: ${f.fix}`), p.message);
  }
  assert.ok(parsed.some((p) => p.command === 'notice' && p.props.title === 'fmig verify skipped out-of-order' && p.message === 'the folder does not parse'));
  const bad = findings.find((p) => p.props.file === 'sql/50%,off: sale.sql');
  assert.ok(bad, 'the file name with % , and : survives the property escapes');
  assert.ok(findings.some((p) => p.command === 'error' && p.props.title === 'fmig published-edited' && /added in [0-9a-f]{10} by Ann/.test(p.message)));
});

test('--format gitlab: a Code Quality report, one issue per finding', async () => {
  const repo = await repoWithFindings();
  const json = await repo.fmig('verify', '--json');
  const r = await repo.fmig('verify', '--format', 'gitlab');
  assert.is(r.code, 1, r.stderr);
  const issues = JSON.parse(r.stdout);
  assert.ok(Array.isArray(issues));
  assert.is(issues.length, json.json.findings.length);
  for (const [i, f] of json.json.findings.entries()) {
    const x = issues[i];
    assert.equal(Object.keys(x).sort(), ['check_name', 'description', 'fingerprint', 'location', 'severity']);
    assert.is(x.check_name, f.code);
    assert.is(x.severity, f.severity === 'error' ? 'major' : 'minor');
    assert.equal(x.location, { path: f.file, lines: { begin: 1 } });
    assert.match(x.description, f.message);
    assert.match(x.fingerprint, /^[0-9a-f]{64}$/);
  }
  assert.is(new Set(issues.map((x) => x.fingerprint)).size, issues.length, 'fingerprints differ');
  const again = JSON.parse((await repo.fmig('verify', '--format', 'gitlab')).stdout);
  assert.equal(again.map((x) => x.fingerprint), issues.map((x) => x.fingerprint), 'and are stable');
  const both = await repo.fmig('verify', '--format', 'gitlab', '--json');
  assert.is(both.code, 2);
  const wrong = await repo.fmig('verify', '--format', 'junit');
  assert.is(wrong.code, 2);
  assert.match(wrong.stderr, 'use text (the default), github or gitlab');
});

test('escapes: data %, CR, LF; properties also : and ,; line and column where a finding has them', () => {
  assert.is(escapeData('100% done\r\nnext: a,b'), '100%25 done%0D%0Anext: a,b');
  assert.is(escapeProperty('a:b,c%\n'), 'a%3Ab%2Cc%25%0A');
  assert.is(workflowCommand('notice', [], 'x'), '::notice::x');
  const [line] = githubAnnotations([{ code: 'some-rule', severity: 'warning', file: 'sql/1_a.up.sql', line: 3, column: 7, message: 'two\nlines', fix: 'do: this, then that' }], []);
  assert.is(line, '::warning file=sql/1_a.up.sql,line=3,col=7,title=fmig some-rule::two%0Alines%0Afix: do: this, then that');
  const p = parse(line);
  assert.equal(p.props, { file: 'sql/1_a.up.sql', line: '3', col: '7', title: 'fmig some-rule' });
  assert.is(p.message, 'two\nlines\nfix: do: this, then that');
  assert.is(parse(githubAnnotations([{ code: 'x', severity: 'info', file: 'f', message: 'm', fix: 'f' }], [])[0]).command, 'notice');
});

test.run();
