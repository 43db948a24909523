// Two `fmig up` processes started together on one database: every revision is applied exactly
// once, whichever wins the lock (an advisory lock on a server, a lock file on PGlite).
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';

const N = 8;
const revisions = Object.fromEntries(
  Array.from({ length: N }, (_, i) => {
    const id = String(i + 1).padStart(3, '0');
    return [`${id}_t${id}`, { up: `create table t${id} (id int);\ninsert into t${id} values (${i});\n`, down: `drop table t${id};\n` }];
  }),
);

forEachTarget('engine: concurrent up', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('two processes started together apply each revision exactly once; the second waits, then finds the rest', async () => {
    const { url } = await fresh();
    // A generous lock_timeout: the loser waits however long the winner takes, on a slow machine too.
    const p = await project(revisions, { toml: 'dir = "sql"\n[database]\nlock_timeout = "300s"\n' });
    const [a, b] = await Promise.all([p.fmigProcess('up', '--url', url), p.fmigProcess('up', '--url', url)]);
    assert.is(a.code, 0, a.stderr);
    assert.is(b.code, 0, b.stderr);
    const appliedBy = (r) => [...r.stdout.matchAll(/^applied (\S+)/gm)].map((m) => m[1]);
    const all = [...appliedBy(a), ...appliedBy(b)].sort();
    assert.equal(all, Object.keys(revisions), 'between them, each revision applied once');
    for (const r of [a, b]) if (appliedBy(r).length === 0) assert.match(r.stdout, 'nothing to apply');

    const s = await state(url);
    assert.equal(s.rows.map((r) => r.revision), Object.keys(revisions).map((k) => k.slice(0, 3)));
    assert.ok(s.rows.every((r) => r.finished_at instanceof Date));
    assert.equal(s.log.map((l) => [l.revision, l.action]), s.rows.map((r) => [r.revision, 'up']), 'one `up` log row per revision');
    assert.equal(s.tables, Object.keys(revisions).map((k) => `public.${k.slice(4)}`));
  });
});
