/** Runs git: the one place fmig starts a git process. */
import { spawn } from 'node:child_process';

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export class GitFailed extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed${code === null ? '' : ` (exit ${code})`}: ${stderr.trim().split('\n')[0] ?? ''}`);
  }
}

/**
 * Runs `git <args>` in `cwd` and resolves with its exit code and raw stdout, whatever the code:
 * callers need bytes (blobs) and the output of commands that exit 1 on purpose (merge-tree).
 * Rejects only when git cannot be started (ENOENT: git is not installed).
 */
export function gitRaw(cwd: string, args: string[], input?: string, env?: Record<string, string>): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-c', 'core.quotePath=false', ...args], {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 128, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => {}); // git may exit before reading its input
    child.stdin.end(input ?? '');
  });
}

/** Runs `git <args>` in `cwd`; resolves to stdout as text, rejects with GitFailed on a non-zero exit (or ENOENT without git). */
export async function runGit(cwd: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await gitRaw(cwd, args, opts.input, opts.env);
  if (r.code !== 0) throw new GitFailed(args, r.code, r.stderr);
  return r.stdout.toString('utf8');
}
