import { createAzureArtifactRepository } from '../../src/artifacts/azure/azure-artifact-repository.ts';
import { createTestContainer } from '../helpers/azurite-service.ts';
import { artifactRepositoryContract } from './artifact-repository.contract.ts';

// A fresh container per file and a non-empty prefix, so the contract also checks that nothing
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
