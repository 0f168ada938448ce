import {
  AzureBlobArtifactRepository,
  createAzureArtifactRepository,
} from '../../src/artifacts/azure/azure-artifact-repository.ts';
import { createTestContainer } from '../helpers/azurite-service.ts';
import { artifactRepositoryContract } from './artifact-repository.contract.ts';

// A fresh container per suite and a non-empty prefix, so the contract also checks that nothing
// depends on the repository owning the whole container.
artifactRepositoryContract('Azure Blob (Azurite)', async () => {
  const container = await createTestContainer();
  return {
    repository: createAzureArtifactRepository({
      container: container.name,
      prefix: 'mlflow/artifacts',
      connectionString: container.azurite.connectionString,
    }),
    close: () => container.drop(),
  };
});

// The contract's uploads are smaller than the default 4 MiB block, so with default settings an
// interrupted put never reaches Azure. With 64 KiB blocks the same tests cut puts after some
// blocks are staged (but before the commit), at random points.
artifactRepositoryContract('Azure Blob (Azurite), 64 KiB blocks', async () => {
  const container = await createTestContainer();
  return {
    repository: new AzureBlobArtifactRepository({
      container: container.client,
      prefix: 'small-blocks',
      description: 'small blocks',
      blockSize: 64 * 1024,
    }),
    close: () => container.drop(),
  };
});
