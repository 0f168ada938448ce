import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '../../src/artifacts/local/local-artifact-repository.ts';
import { artifactRepositoryContract } from './artifact-repository.contract.ts';

artifactRepositoryContract('local disk', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plumb-artifacts-'));
  return {
    repository: new LocalArtifactRepository(root),
    async close() {
      rmSync(root, { recursive: true, force: true });
    },
  };
});
