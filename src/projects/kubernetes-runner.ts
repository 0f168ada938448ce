import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStatus } from '../client/index.ts';
import { MlflowError } from '../core/errors.ts';
import { onPath } from './environments.ts';
import { applyManifest, type KubernetesBackendConfig, renderJob, writeManifest } from './kubernetes.ts';
import { createProjectRun, type ProjectRunOptions } from './project-runner.ts';

export interface KubernetesRunResult {
  readonly runId: string;
  readonly experimentId: string;
  readonly manifestPath: string;
  readonly applied: boolean;
  readonly status: RunStatus;
  readonly kubectlOutput?: string;
}

/**
 * `plumb run --backend kubernetes`: creates the run, renders the Job for it, stores the manifest as
 * the run's artifact `kubernetes/job.yaml` and writes it to disk, then applies it with kubectl when
 * asked (or by default when kubectl is on PATH). The job's MLflow client then logs into the run and
 * ends it; a manifest written but not applied leaves the run SCHEDULED until someone applies it.
 */
export async function runOnKubernetes(
  options: Omit<ProjectRunOptions, 'stdout' | 'stderr' | 'signal' | 'envManager'>,
  config: KubernetesBackendConfig,
  now: number = Date.now(),
): Promise<KubernetesRunResult> {
  if (!existsSync(config.templatePath)) {
    throw MlflowError.invalidParameter(`--backend-config: the job template '${config.templatePath}' does not exist`);
  }
  const template = readFileSync(config.templatePath, 'utf8');
  const { project, run, resolved } = await createProjectRun(options, 'kubernetes');
  try {
    const job = renderJob(template, {
      projectName: project.name,
      image: config.repositoryUri,
      command: resolved.command,
      env: {
        MLFLOW_TRACKING_URI: options.trackingUri,
        MLFLOW_RUN_ID: run.id,
        MLFLOW_EXPERIMENT_ID: run.info.experiment_id,
      },
      timestamp: now,
    });
    const name = (job.metadata as { name: string }).name;
    const manifestPath = config.outputPath ?? join(process.cwd(), `${name}.yaml`);
    writeManifest(job, manifestPath);
    await options.client.logArtifact(run.id, manifestPath, 'kubernetes/job.yaml');
    const apply = config.apply ?? onPath('kubectl', options.path);
    if (!apply) {
      await options.client.tracking.updateRun({ run_id: run.id, status: 'SCHEDULED' });
      return { runId: run.id, experimentId: run.info.experiment_id, manifestPath, applied: false, status: 'SCHEDULED' };
    }
    const kubectlOutput = await applyManifest(manifestPath, config.kubeContext);
    return {
      runId: run.id,
      experimentId: run.info.experiment_id,
      manifestPath,
      applied: true,
      status: 'RUNNING',
      kubectlOutput,
    };
  } catch (error) {
    await options.client.endRun(run.id, 'FAILED').catch(() => undefined);
    throw error;
  }
}
