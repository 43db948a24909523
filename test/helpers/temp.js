// Temp directories for tests: real paths (macOS's /var symlink aside), all removed together.
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const made = [];

/** A fresh temp directory, removed by `removeTemps()`. */
export async function tempDir(prefix = 'fmig-test-') {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), prefix)));
  made.push(dir);
  return dir;
}

/** Removes every temp directory made so far. */
export async function removeTemps() {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}
