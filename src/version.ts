import { readFileSync } from 'node:fs';

/** The release of this build, from package.json: migrations and node registration compare it. */
export const PLUMB_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
