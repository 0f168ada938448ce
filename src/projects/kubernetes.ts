import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify } from 'yaml';
import { MlflowError } from '../core/errors.ts';

/**
 * The Kubernetes backend after MLflow's (mlflow/projects/kubernetes.py): a Job manifest rendered
 * from the user's template with the job and container names, image, command and the MLFLOW_*
 * variables filled in. Plumb does not build images: `repository-uri` must name an image that
 * already holds the project (MLflow builds and pushes one from docker_env first).
 */
export interface KubernetesBackendConfig {
  readonly kubeContext?: string;
  readonly repositoryUri: string;
  readonly templatePath: string;
  /** Where the rendered manifest is written (default `./<job name>.yaml`). */
  readonly outputPath?: string;
  /** Apply with kubectl: default true when kubectl is on PATH. */
  readonly apply?: boolean;
}

const bad = (why: string) => MlflowError.invalidParameter(`--backend-config: ${why}`);

/** Reads the backend config JSON (MLflow's keys: kube-context, repository-uri, kube-job-template-path). */
export function readBackendConfig(path: string): KubernetesBackendConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw bad(`cannot read ${path} as JSON (${(error as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('must be a JSON object');
  const c = doc as Record<string, unknown>;
  const text = (key: string, required: boolean) => {
    const value = c[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value === '') throw bad(`'${key}' must be a non-empty string`);
    return value;
  };
  const base = dirname(resolve(path));
  const output = text('output-path', false);
  const kubeContext = text('kube-context', false);
  if (c.apply !== undefined && typeof c.apply !== 'boolean') throw bad("'apply' must be true or false");
  return {
    repositoryUri: text('repository-uri', true)!,
    templatePath: resolve(base, text('kube-job-template-path', true)!),
    ...(kubeContext !== undefined && { kubeContext }),
    ...(output !== undefined && { outputPath: resolve(base, output) }),
    ...(typeof c.apply === 'boolean' && { apply: c.apply }),
  };
}

/** A DNS-1123 label: lowercase alphanumerics and '-', at most 63 characters. */
export function kubernetesName(name: string, max = 63): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (cleaned || 'mlflow-project').slice(0, max).replace(/-+$/, '');
}

export interface RenderInput {
  readonly projectName: string;
  readonly image: string;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

type Container = { name?: unknown; image?: unknown; command?: unknown; env?: unknown };

/** The Job manifest: the template with name, image, command and MLFLOW_* env filled into its first container. */
export function renderJob(templateText: string, input: RenderInput): Record<string, unknown> {
  let job: unknown;
  try {
    job = parseYaml(templateText);
  } catch (error) {
    throw bad(`the job template is not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const record = job as {
    kind?: unknown;
    metadata?: Record<string, unknown>;
    spec?: { template?: { spec?: { containers?: Container[] } } };
  };
  if (typeof job !== 'object' || job === null || record.kind !== 'Job')
    throw bad("the job template must be a manifest of kind 'Job'");
  const containers = record.spec?.template?.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw bad('the job template needs spec.template.spec.containers with at least one container');
  }
  const base = kubernetesName(input.projectName, 48);
  record.metadata = { ...(record.metadata ?? {}), name: kubernetesName(`${base}-${input.timestamp}`) };
  const container = containers[0]!;
  container.name = base;
  container.image = input.image;
  // One shell word list: the command keeps the quoting that makes its parameter values inert.
  container.command = ['bash', '-c', input.command];
  const existing = Array.isArray(container.env)
    ? (container.env as { name?: unknown }[]).filter((e) => typeof e?.name === 'string' && !(e.name in input.env))
    : [];
  container.env = [...existing, ...Object.entries(input.env).map(([name, value]) => ({ name, value }))];
  return record as Record<string, unknown>;
}

export function writeManifest(job: Record<string, unknown>, path: string): void {
  writeFileSync(path, stringify(job));
}

export async function applyManifest(path: string, kubeContext: string | undefined): Promise<string> {
  const args = [...(kubeContext ? ['--context', kubeContext] : []), 'apply', '-f', path];
  try {
    return (await promisify(execFile)('kubectl', args)).stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new MlflowError('INTERNAL_ERROR', `kubectl apply failed: ${stderr || (error as Error).message}`);
  }
}
