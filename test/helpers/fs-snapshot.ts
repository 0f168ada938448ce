/**
 * Before/after pictures of directories, to prove a request created, changed or removed nothing
 * where it must not. Symbolic links are recorded as links (lstat), never followed.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Relative path → a description of the entry (kind, size, mtime, content hash or link target). */
export type TreeSnapshot = ReadonlyMap<string, string>;

export function snapshotTree(dir: string, ignore: (relativePath: string) => boolean = () => false): TreeSnapshot {
  const entries = new Map<string, string>();
  const walk = (current: string) => {
    let names: string[];
    try {
      names = readdirSync(current);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const path = join(current, name);
      const rel = relative(dir, path);
      if (ignore(rel)) continue;
      const info = lstatSync(path, { throwIfNoEntry: false });
      if (!info) continue;
      if (info.isSymbolicLink()) entries.set(rel, `link -> ${readlinkSync(path)}`);
      else if (info.isDirectory()) {
        entries.set(rel, 'dir');
        walk(path);
      } else {
        const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
        entries.set(rel, `file ${info.size} ${info.mtimeMs} ${hash}`);
      }
    }
  };
  walk(dir);
  return entries;
}

/** Human-readable differences: `+ added`, `- removed`, `~ changed`. Empty when the trees match. */
export function diffTrees(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const changes: string[] = [];
  for (const [path, description] of after) {
    const old = before.get(path);
    if (old === undefined) changes.push(`+ ${path} (${description})`);
    else if (old !== description) changes.push(`~ ${path} (${old} → ${description})`);
  }
  for (const path of before.keys()) if (!after.has(path)) changes.push(`- ${path}`);
  return changes;
}

/** The names directly inside `dir` (for shared directories such as the OS temp dir). */
export function topLevelNames(dir: string): Set<string> {
  return new Set(readdirSync(dir));
}
