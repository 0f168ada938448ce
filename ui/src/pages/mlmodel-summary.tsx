import type { MlModelSummary, SignatureSpec } from '../api/types.ts';
import { useAsync } from '../use-async.ts';

/** `x1: double`, `tensor float32 (-1, 3)`: one signature entry as MLflow prints it. */
export function describeSpec(spec: SignatureSpec): string {
  const tensor = spec['tensor-spec'];
  const type = tensor ? `tensor ${tensor.dtype} (${tensor.shape.join(', ')})` : spec.type;
  const optional = spec.required === false ? ' (optional)' : '';
  return spec.name ? `${spec.name}: ${type}${optional}` : `${type}${optional}`;
}

/**
 * A model's flavors and signature, read by the server with the parser `plumb models` uses, so the
 * page shows what serving would load; a malformed file shows the parser's message naming the field.
 */
export function MlModelPanel(props: { load: (signal: AbortSignal) => Promise<MlModelSummary>; deps: unknown[] }) {
  const { state } = useAsync(props.load, props.deps);
  if (state.status === 'error') {
    return (
      <p className="state state-error" role="alert" data-testid="mlmodel-error">
        {state.error.message}
      </p>
    );
  }
  const model = state.data;
  if (!model) return <p className="muted">Reading the MLmodel file…</p>;
  const inputs = model.signature?.inputs ?? [];
  const outputs = model.signature?.outputs ?? [];
  return (
    <dl className="cards" aria-label="MLmodel">
      <div>
        <dt>Flavors</dt>
        <dd data-testid="mlmodel-flavors">{Object.keys(model.flavors).join(', ') || '—'}</dd>
      </div>
      <div>
        <dt>Inputs</dt>
        <dd className="mono" data-testid="mlmodel-inputs">
          {inputs.map(describeSpec).join('; ') || '—'}
        </dd>
      </div>
      <div>
        <dt>Outputs</dt>
        <dd className="mono" data-testid="mlmodel-outputs">
          {outputs.map(describeSpec).join('; ') || '—'}
        </dd>
      </div>
      <div>
        <dt>Logged with</dt>
        <dd>{model.mlflow_version ? `MLflow ${model.mlflow_version}` : '—'}</dd>
      </div>
    </dl>
  );
}
