// Real git repositories in temp dirs, built from an object literal: commits, branches, merges.
//
//   const repo = await gitRepo({
//     files: { 'migrate.toml': 'dir = "sql"\n', 'sql/0001_a.up.sql': 'create table a();\n' },
//     steps: [
//       { branch: 'feature' },                                      // create and check out
//       { commit: { 'sql/0002_b.up.sql': '...' }, author: 'Bo' },   // write (null deletes), add, commit
//       { checkout: 'main' },
//       { merge: 'feature' },                                       // always a merge commit
//     ],
//   });
//   await repo.fmig('verify', '--json')  →  { code, stdout, stderr, json }
import { execFile } from 'node:child_process';
import { mkdir, writeFile, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { tempDir as makeTemp, removeTemps } from './temp.js';
import { runFmig, FMIG_BIN } from './fmig-run.js';

export { FMIG_BIN };

let clock = Date.UTC(2026, 0, 2, 10, 0, 0);

/** Git's environment in tests: no user or system config, fixed identities. */
export function gitEnv(extra = {}) {
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (/^(GIT_DIR|GIT_WORK_TREE|GIT_INDEX_FILE|FMIG_|DATABASE_URL)/.test(k)) delete env[k];
  Object.assign(env, { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' });
  return { ...env, ...extra };
}

/** Runs a process; resolves with its exit code and output, never rejects on a non-zero exit. */
export function run(cmd, args, { cwd, env = gitEnv(), input } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

function identity(name = 'Ann') {
  const at = new Date((clock += 60_000)).toISOString();
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`;
  return gitEnv({ GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email, GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at });
}


/** A fresh temp directory, removed by `cleanup()`. */
export const tempDir = (prefix = 'fmig-git-') => makeTemp(prefix);

/** Removes every temp directory made so far. */
export const cleanup = removeTemps;

/** Builds a repository: `files` as the first commit on main, then each step in order. */
export async function gitRepo({ files = {}, steps = [], author = 'Ann' } = {}) {
  const dir = await tempDir();
  const repo = makeRepo(dir);
  await repo.git('init', '-q', '-b', 'main');
  await repo.commit(files, { message: 'initial', author });
  for (const step of steps) await repo.step(step);
  return repo;
}

/** Helpers around an existing directory. */
export function makeRepo(dir) {
  const repo = {
    dir,
    /** Runs git; throws with its stderr on failure. */
    async git(...args) {
      const r = await run('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: identity(repo.author) });
      if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    },
    author: 'Ann',
    /** Writes files (null deletes), relative to the repository. */
    async write(files) {
      for (const [rel, content] of Object.entries(files)) {
        const file = path.join(dir, rel);
        if (content === null) await unlink(file).catch(() => {});
        else {
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, content);
        }
      }
    },
    read: (rel) => readFile(path.join(dir, rel), 'utf8'),
    /** Writes the files, stages everything, commits. */
    async commit(files, { message = `change ${Object.keys(files).join(' ')}`, author } = {}) {
      if (author) repo.author = author;
      await repo.write(files);
      await repo.git('add', '-A');
      await repo.git('commit', '-q', '--allow-empty', '-m', message);
      return repo.git('rev-parse', 'HEAD');
    },
    async step(s) {
      if (s.author) repo.author = s.author;
      if (s.branch) await repo.git('checkout', '-q', '-b', s.branch, ...(s.from ? [s.from] : []));
      if (s.checkout) await repo.git('checkout', '-q', s.checkout);
      if (s.commit) await repo.commit(s.commit, { message: s.message, author: s.author });
      if (s.merge) await repo.git('merge', '-q', '--no-ff', '--no-edit', '-m', s.message ?? `Merge branch '${s.merge}'`, s.merge);
    },
    /**
     * Runs the fmig CLI as a user would, in `cwd` (default: the repository): in this process,
     * or with `{ process: true }` as a process of its own (fmig-run.js).
     */
    async fmig(...args) {
      const opts = typeof args[args.length - 1] === 'object' ? args.pop() : {};
      const r = await runFmig(opts.cwd ?? dir, args, { env: identity(repo.author), process: !!opts.process });
      let json;
      if (args.includes('--json')) json = JSON.parse(r.stdout);
      return { ...r, json };
    },
  };
  return repo;
}

/** A revision's up file and down file. */
export function revision(id, slug, up = `create table t${id} (id int);\n`, down = `drop table t${id};\n`, dir = 'sql') {
  return { [`${dir}/${id}_${slug}.up.sql`]: up, [`${dir}/${id}_${slug}.down.sql`]: down };
}
