// `-v`/`--version` is the version only when it stands alone: `fmig up -v` in a deploy must fail
// (exit 2, unknown option), not print the version and migrate nothing with exit 0.
import * as assert from 'uvu/assert';
import { forEachTarget } from '../helpers/databases.js';
import { project, removeProjects, state } from '../helpers/cli.js';

const A = { '1_a': { up: 'create table a (id int);\n', down: 'drop table a;\n' } };

forEachTarget('item 2: -v/--version only alone', (test, { fresh }) => {
  test.after.each(removeProjects);

  test('-v or --version with a command, before or after it, is an unknown option: exit 2, nothing applied', async () => {
    const { url } = await fresh();
    const p = await project(A);
    for (const args of [['up', '-v'], ['up', '--version'], ['status', '-v'], ['-v', 'status'], ['--version', 'up'], ['up', '-v', '--url', url]]) {
      const r = await p.fmig(...args, '--url', url);
      assert.is(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /unknown option `(-v|--version)`/, args.join(' '));
      assert.not.match(r.stdout, /fmig\/\d/, `${args.join(' ')}: no version printed`);
    }
    assert.equal((await state(url)).rows, [], 'nothing was applied');
    const r = await p.fmig('up', '--url', url);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, 'applied 1_a');
  });

  test('alone, -v and --version print the version and exit 0', async () => {
    const p = await project(A);
    for (const flag of ['-v', '--version']) {
      const r = await p.fmig(flag);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, /^fmig\/\d+\.\d+\.\d+/);
    }
  });
});
