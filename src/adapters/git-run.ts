/** Runs git and returns its output; the one place fmig starts a git process. */
import { execFile } from 'node:child_process';

export class GitFailed extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed${code === null ? '' : ` (exit ${code})`}: ${stderr.trim().split('\n')[0] ?? ''}`);
  }
}

/** Runs `git <args>` in `cwd`; resolves to stdout, rejects with GitFailed (or ENOENT when git is not installed). */
export function runGit(cwd: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, maxBuffer: 512 * 1024 * 1024, env: opts.env ? { ...process.env, ...opts.env } : process.env, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err);
        reject(new GitFailed(args, typeof err.code === 'number' ? err.code : null, stderr));
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}
