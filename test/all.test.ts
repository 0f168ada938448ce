/**
 * One entry for node's test runner: importing every test file into one process is much faster on
 * two cores than a process per file, and Node 20's runner does not expand globs itself.
 * PLUMB_TEST_FILTER=substring narrows the run to matching paths while developing.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const filter = process.env.PLUMB_TEST_FILTER;

function* testFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* testFiles(path);
    else if (entry.name.endsWith('.test.ts') && path !== import.meta.filename) yield path;
  }
}

const files = [...testFiles(join(root, 'src')), ...testFiles(join(root, 'test'))]
  .filter((f) => !filter || relative(root, f).includes(filter))
  .sort();
for (const file of files) await import(pathToFileURL(file).href);
