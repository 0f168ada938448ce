import { type ArtifactPath, parseArtifactPath } from '../core/artifact-path.ts';
import { MlflowError } from '../core/errors.ts';

/** `<experiment id>/<run id>/artifacts[/…]`: the layout of proxied run artifacts, as MLflow lays them out. */
const RUN_ARTIFACT_PATH = /^\d+\/([0-9a-f]{32})\/artifacts(?:\/|$)/;

export function runIdOfArtifactPath(path: ArtifactPath): string | undefined {
  return RUN_ARTIFACT_PATH.exec(path)?.[1];
}

/**
 * The path, inside this server's artifact store, of a run's (or experiment's) artifact URI —
 * `mlflow-artifacts:/<path>`, `mlflow-artifacts://<host>/<path>`, or a URI under the store's own
 * destination URI — or undefined when the URI points anywhere else.
 */
export function runArtifactPathOf(artifactUri: string, destinationUri: string): ArtifactPath | undefined {
  let relative: string | undefined;
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(artifactUri);
  if (proxied) relative = proxied[1];
  else {
    const root = destinationUri.replace(/\/+$/, '');
    if (artifactUri.startsWith(`${root}/`)) relative = artifactUri.slice(root.length + 1);
  }
  if (relative === undefined) return undefined;
  try {
    return parseArtifactPath(relative);
  } catch (error) {
    if (error instanceof MlflowError) return undefined;
    throw error;
  }
}
