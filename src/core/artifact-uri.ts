/** Appends path segments to an artifact root URI or path, with exactly one slash between them. */
export function joinArtifactUri(root: string, ...parts: readonly string[]): string {
  return [root.replace(/\/+$/, ''), ...parts].join('/');
}
