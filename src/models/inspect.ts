import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { type MlModel, REQUIREMENT_FILES } from './mlmodel.ts';
import { formatSchema } from './model-schema.ts';

export interface ModelFile {
  readonly path: string;
  readonly bytes: number;
}

/** Every file under a model directory, relative to it, in path order. */
export async function listModelFiles(dir: string): Promise<ModelFile[]> {
  const files: ModelFile[] = [];
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files.push({ path: relative(dir, path), bytes: (await stat(path)).size });
    }
  };
  await walk(dir);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** `plumb models inspect` as text: provenance, flavors, signature, input example, requirement and other files. */
export function formatInspection(uri: string, model: MlModel, files: readonly ModelFile[]): string {
  const lines = [`model: ${uri}`];
  const field = (label: string, value: string | number | undefined) => {
    if (value !== undefined) lines.push(`  ${label}: ${value}`);
  };
  field('model_uuid', model.modelUuid);
  field('model_id', model.modelId);
  field('run_id', model.runId);
  field('created (UTC)', model.utcTimeCreated);
  field('mlflow_version', model.mlflowVersion);
  field('size (bytes)', model.modelSizeBytes);
  lines.push('flavors:');
  for (const [name, settings] of Object.entries(model.flavors)) {
    const shown = Object.entries(settings)
      .filter(([, v]) => v !== null && typeof v !== 'object')
      .map(([k, v]) => `${k}=${String(v)}`);
    lines.push(`  ${name}${shown.length > 0 ? `: ${shown.join(', ')}` : ''}`);
  }
  if (Object.keys(model.flavors).length === 0) lines.push('  (none)');
  lines.push('signature:');
  const signature = model.signature;
  if (!signature) lines.push('  (none: inputs are not checked when served)');
  else {
    lines.push(`  inputs: ${signature.inputs ? formatSchema(signature.inputs) : '(none)'}`);
    lines.push(`  outputs: ${signature.outputs ? formatSchema(signature.outputs) : '(none)'}`);
    const params = signature.params?.map((p) => `${p.name}: ${p.type} (default ${JSON.stringify(p.default)})`);
    lines.push(`  params: ${params && params.length > 0 ? params.join(', ') : '(none)'}`);
  }
  if (model.inputExample) {
    const serving = model.inputExample.servingInputPath ? `, serving input ${model.inputExample.servingInputPath}` : '';
    lines.push(`input example: ${model.inputExample.artifactPath}${serving}`);
  }
  const present = new Set(files.map((f) => f.path));
  const requirements = REQUIREMENT_FILES.filter((f) => present.has(f));
  lines.push(`requirements: ${requirements.length > 0 ? requirements.join(', ') : '(none)'}`);
  if (model.metadata) lines.push(`metadata: ${JSON.stringify(model.metadata)}`);
  lines.push('files:');
  for (const file of files) lines.push(`  ${file.path}  ${file.bytes} B`);
  return lines.join('\n');
}
