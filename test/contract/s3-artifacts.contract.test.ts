import { createS3ArtifactRepository } from '../../src/artifacts/s3/s3-artifact-repository.ts';
import { createTestBucket, ensureTestS3 } from '../helpers/s3-service.ts';
import { artifactRepositoryContract } from './artifact-repository.contract.ts';

// A real S3 server (Ceph radosgw, started once by scripts/start-test-s3.sh), a fresh bucket for
// this file and a nested prefix, so that the key mapping below a prefix is what gets tested.
artifactRepositoryContract('S3 on Ceph radosgw', async () => {
  const s3 = await ensureTestS3();
  const bucket = await createTestBucket(s3, 'contract');
  const repository = createS3ArtifactRepository({
    bucket: bucket.name,
    prefix: 'mlartifacts/contract',
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  return {
    repository,
    async close() {
      repository.destroy();
      await bucket.close();
    },
  };
});
