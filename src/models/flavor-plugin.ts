import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MlflowError } from '../core/errors.ts';
import type { MlModel } from './mlmodel.ts';
import type { ModelInput } from './model-input.ts';

/**
 * A loaded model's prediction function. `input` has passed signature enforcement (when the model
 * has a signature); `params` are the request's params after the signature's params schema. The
 * result is what goes back under `predictions`: any JSON-serialisable value.
 */
export type PredictFn = (input: ModelInput, params?: Readonly<Record<string, unknown>>) => unknown;

/** What `load` may return: the predict function itself, or an object with one and an optional close. */
export type Loaded = PredictFn | { readonly predict: PredictFn; close?(): void | Promise<void> };

/**
 * The flavor plugin interface (docs/models.md): a module that declares the MLmodel flavor it
 * handles and loads a model directory into a predict function. `plumb models serve --flavor-plugin
 * ./my-flavor.js` imports it; a plugin's flavor wins over a built-in one of the same name.
 */
export interface FlavorPlugin {
  /** The key under `flavors:` in MLmodel that this plugin loads, e.g. `acme_features`. */
  readonly flavor: string;
  /** `modelDir` is the local directory holding MLmodel; `mlmodel` is that file, parsed. */
  load(modelDir: string, mlmodel: MlModel): Loaded | Promise<Loaded>;
}

/** A predictor ready to serve: what every flavor's `load` becomes. */
export interface Predictor {
  readonly flavor: string;
  readonly predict: PredictFn;
  close(): Promise<void>;
}

export function toPredictor(flavor: string, loaded: Loaded): Predictor {
  if (typeof loaded === 'function') return { flavor, predict: loaded, close: async () => undefined };
  if (typeof loaded?.predict !== 'function') {
    throw MlflowError.invalidParameter(`The '${flavor}' flavor's load() returned neither a function nor { predict }`);
  }
  return {
    flavor,
    predict: loaded.predict.bind(loaded),
    close: async () => {
      await loaded.close?.();
    },
  };
}

/** Imports a plugin module (a path, relative to `cwd`) and checks it has `flavor` and `load`. */
export async function loadFlavorPlugin(specifier: string, cwd: string = process.cwd()): Promise<FlavorPlugin> {
  const path = isAbsolute(specifier) ? specifier : resolve(cwd, specifier);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw MlflowError.invalidParameter(`Cannot load flavor plugin '${specifier}': ${(error as Error).message}`);
  }
  const candidate = (module.default && typeof module.default === 'object' ? module.default : module) as Record<
    string,
    unknown
  >;
  if (typeof candidate.flavor !== 'string' || candidate.flavor === '') {
    throw MlflowError.invalidParameter(
      `Flavor plugin '${specifier}' must export 'flavor': the MLmodel flavor name it handles`,
    );
  }
  if (typeof candidate.load !== 'function') {
    throw MlflowError.invalidParameter(
      `Flavor plugin '${specifier}' must export 'load(modelDir, mlmodel)' returning a predict(input) function`,
    );
  }
  return candidate as unknown as FlavorPlugin;
}
