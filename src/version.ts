/** fmig's version: set when the command line is bundled, else read from package.json. */
import { readFileSync } from 'node:fs';

declare const FMIG_VERSION: string | undefined;

export const version: string =
  typeof FMIG_VERSION === 'string' ? FMIG_VERSION : JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
