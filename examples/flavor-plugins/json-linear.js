// A flavor plugin for `plumb models serve --flavor-plugin ./examples/flavor-plugins/json-linear.js`.
// It serves models whose MLmodel declares the `json_linear` flavor: a linear model kept as JSON,
//
//   flavors:
//     json_linear:
//       data: model.json        # {"features": ["x1", "x2"], "weights": [0.5, -2], "bias": 1, "link": "identity"}
//
// The same two exports are all a company's own flavor needs (a feature pipeline in front of a
// proprietary scorer, say): `flavor`, the MLmodel key it handles, and `load(modelDir, mlmodel)`,
// returning the predict function. Serving has already checked the input against the signature.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const flavor = 'json_linear';

const LINKS = {
  identity: (z) => z,
  logistic: (z) => 1 / (1 + Math.exp(-z)),
};

export async function load(modelDir, mlmodel) {
  const settings = mlmodel.flavors[flavor];
  const spec = JSON.parse(await readFile(join(modelDir, settings.data ?? 'model.json'), 'utf8'));
  const { features, weights, bias = 0, link = 'identity' } = spec;
  if (!Array.isArray(features) || !Array.isArray(weights) || features.length !== weights.length) {
    throw new Error(`${settings.data}: 'features' and 'weights' must be lists of the same length`);
  }
  const linkFn = LINKS[link];
  if (linkFn === undefined) throw new Error(`${settings.data}: unknown link '${link}' (identity, logistic)`);

  const score = (row) => linkFn(features.reduce((sum, _, i) => sum + weights[i] * Number(row[i]), bias));

  /** input: { kind: 'dataframe', columns, rows } | { kind: 'tensor', value } | { kind: 'tensors', value } */
  return function predict(input, params) {
    const scale = params?.scale ?? 1;
    if (input.kind === 'dataframe') {
      const at = features.map((f) => input.columns.indexOf(f));
      const missing = features.filter((_, i) => at[i] < 0);
      if (missing.length > 0) throw new Error(`missing features: ${missing.join(', ')}`);
      return input.rows.map((row) => scale * score(at.map((i) => row[i])));
    }
    if (input.kind === 'tensor') return input.value.map((row) => scale * score(row));
    const columns = features.map((f) => input.value[f]);
    return columns[0].map((_, r) => scale * score(columns.map((c) => c[r])));
  };
}
