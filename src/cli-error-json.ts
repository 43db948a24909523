/** An error as `--json` prints it: code, message, hint, exit code, and the data it carries. */
import { ConfigError, DivergentHeads, DriftError, FmigError, FolderError } from './core/errors.js';

export function errorJson(e: FmigError): Record<string, unknown> {
  const out: Record<string, unknown> = { code: e.code, message: e.message, hint: e.hint ?? null, exitCode: e.exitCode };
  for (const [k, v] of Object.entries(e.fields ?? {})) if (!(k in out)) out[k] = v;
  if (e instanceof FolderError) {
    out.file = e.problems[0]?.files[0] ?? null;
    out.problems = e.problems.map((p) => ({ code: p.code, files: p.files, message: p.message }));
  } else if (e instanceof DivergentHeads) {
    out.heads = e.heads;
  } else if (e instanceof DriftError) {
    out.drift = e.drift;
  } else if (e instanceof ConfigError) {
    out.problems = e.problems;
  }
  return out;
}
