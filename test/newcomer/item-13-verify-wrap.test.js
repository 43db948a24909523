// Verify's findings on a terminal wrap to its width (the message, then an indented provenance
// line and fix); in a pipe each finding stays on one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { gitRepo, revision, cleanup } from '../helpers/git.js';

test.after.each(cleanup);

const { main } = createRequire(import.meta.url)('../../dist/cli/cli.js');

/** A stream that says it is a terminal of `columns` columns, collecting what is written. */
function terminal(columns) {
  let text = '';
  const s = new Writable({ write: (chunk, _enc, cb) => ((text += chunk), cb()) });
  Object.assign(s, { isTTY: true, columns });
  return { stream: s, text: () => text };
}

/** Two heads on one branch, each with a git history: findings with provenance and long fixes. */
const twoHeads = () =>
  gitRepo({
    files: { 'migrate.toml': 'dir = "sql"\n', ...revision('0001', 'users') },
    steps: [
      { commit: revision('0002', 'orders', '-- fmig:parent 0001\nselect 1;\n'), author: 'Bo' },
      { commit: revision('0003', 'items', '-- fmig:parent 0001\nselect 1;\n'), author: 'Cy' },
    ],
  });

test('on a terminal: no line wider than it; message, then indented provenance and fix', async () => {
  const repo = await twoHeads();
  const out = terminal(60);
  const err = terminal(60);
  const code = await main({ argv: ['verify'], cwd: repo.dir, env: { ...process.env, NO_COLOR: '1' }, stdout: out.stream, stderr: err.stream });
  assert.is(code, 1);
  const lines = out.text().trimEnd().split('\n');
  for (const l of lines) assert.ok(l.length <= 60, `${l.length} columns: ${l}`);
  const first = lines.findIndex((l) => l.startsWith('error divergent-heads sql/0002_'));
  assert.ok(first !== -1, out.text());
  const block = [];
  for (let i = first + 1; i < lines.length && lines[i].startsWith(' '); i++) block.push(lines[i]);
  assert.ok(block.some((l) => /^ {4}added in [0-9a-f]{10} by Bo/.test(l)), block.join('\n'));
  assert.ok(block.some((l) => /^ {4}fix: /.test(l)), block.join('\n'));
});

test('in a pipe: one line per finding', async () => {
  const repo = await twoHeads();
  const r = await repo.fmig('verify');
  assert.is(r.code, 1);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.filter((l) => /^error /.test(l)).length, 2);
  assert.ok(lines.every((l) => /^(error|warning|info|verify:) /.test(l)), r.stdout);
  assert.match(lines[0], /— fix: /);
});

test.run();
