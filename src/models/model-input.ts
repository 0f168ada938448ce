import { MlflowError } from '../core/errors.ts';

/**
 * What a flavor's predict function receives: MLflow's three shapes of model input. A pandas-like
 * frame (from `dataframe_split`, `dataframe_records`, CSV, or any input under a column signature),
 * one unnamed tensor as nested arrays (`instances`/`inputs` holding a list), or named tensors
 * (`inputs`/`instances` holding an object, or a list of objects).
 */
export type ModelInput =
  | { readonly kind: 'dataframe'; readonly columns: readonly string[]; readonly rows: readonly (readonly unknown[])[] }
  | { readonly kind: 'tensor'; readonly value: unknown }
  | { readonly kind: 'tensors'; readonly value: Readonly<Record<string, unknown>> };

export const SUPPORTED_FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/** MLflow's REQUIRED_INPUT_FORMAT, with the set printed as Python prints it. */
export const REQUIRED_INPUT_FORMAT = `The input must be a JSON dictionary with exactly one of the input fields {${SUPPORTED_FORMATS.map((f) => `'${f}'`).join(', ')}}`;
export const SCORING_PROTOCOL_CHANGE_INFO =
  'IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, ' +
  'you are likely using an outdated scoring request format. To resolve the error, either update your request format ' +
  "or adjust your MLflow Model's requirements file to specify an older version of MLflow (for example, change the " +
  "'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making a request using the MLflow client " +
  '(e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order to use the new ' +
  'request format. For more information about the updated MLflow Model scoring protocol in MLflow 2.0, see ' +
  'https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.';

const badRequest = (message: string) => new MlflowError('BAD_REQUEST', message);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body of a JSON `/invocations` request: the model input and the optional `params`. */
export function parseJsonRequest(text: string): { input: ModelInput; params: Record<string, unknown> | undefined } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badRequest(
      `Invalid input. Ensure that input is a valid JSON formatted string. Error: '${(error as Error).message}'`,
    );
  }
  if (Array.isArray(body)) throw badRequest(`Invalid input. ${REQUIRED_INPUT_FORMAT}. Received a list.`);
  if (!isRecord(body)) {
    throw badRequest(`Invalid input. ${REQUIRED_INPUT_FORMAT}. Received unexpected input type '${typeof body}'.`);
  }
  const formats = Object.keys(body).filter((k) => (SUPPORTED_FORMATS as readonly string[]).includes(k));
  if (formats.length !== 1) {
    const keys = Object.keys(body)
      .map((k) => `'${k}'`)
      .join(', ');
    throw badRequest(
      `${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [${keys}]. ${SCORING_PROTOCOL_CHANGE_INFO}`,
    );
  }
  const params = body.params;
  if (params !== undefined && params !== null && !isRecord(params)) {
    throw badRequest("'params' must be a JSON dictionary of parameter names to values");
  }
  const format = formats[0] as (typeof SUPPORTED_FORMATS)[number];
  return { input: parseFormat(format, body[format]), params: isRecord(params) ? params : undefined };
}

function parseFormat(format: (typeof SUPPORTED_FORMATS)[number], value: unknown): ModelInput {
  switch (format) {
    case 'dataframe_split':
      return fromSplit(value);
    case 'dataframe_records':
      if (!Array.isArray(value) || !value.every(isRecord)) {
        throw badRequest("'dataframe_records' must be a list of records (JSON objects of column name to value)");
      }
      return fromRecords(value);
    case 'instances':
    case 'inputs':
      return fromTfServing(format, value);
    default: {
      const unreachable: never = format;
      throw badRequest(`unknown input format ${String(unreachable)}`);
    }
  }
}

function fromSplit(value: unknown): ModelInput {
  if (!isRecord(value) || !Array.isArray(value.data)) {
    throw badRequest("'dataframe_split' must be an object with 'data' (a list of rows) and optional 'columns'");
  }
  const rows = value.data.map((row) => (Array.isArray(row) ? row : [row]));
  const width = rows[0]?.length ?? 0;
  const columns = value.columns === undefined ? Array.from({ length: width }, (_, i) => String(i)) : value.columns;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string' || typeof c === 'number')) {
    throw badRequest("'dataframe_split.columns' must be a list of column names");
  }
  if (rows.some((r) => r.length !== columns.length)) {
    throw badRequest(`${columns.length} columns passed, passed data had rows of another length`);
  }
  return { kind: 'dataframe', columns: columns.map(String), rows };
}

function fromRecords(records: readonly Record<string, unknown>[]): ModelInput {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    for (const key of Object.keys(record)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return { kind: 'dataframe', columns, rows: records.map((r) => columns.map((c) => r[c] ?? null)) };
}

/** TF-serving style: a list is one tensor, an object is named tensors; `instances` of objects are named tensors. */
function fromTfServing(format: 'instances' | 'inputs', value: unknown): ModelInput {
  if (isRecord(value)) return { kind: 'tensors', value };
  if (!Array.isArray(value)) throw badRequest(`'${format}' must be a list or a JSON dictionary of named inputs`);
  if (value.length > 0 && value.every(isRecord)) {
    const names = Object.keys(value[0]!);
    for (const item of value) {
      const keys = Object.keys(item);
      if (keys.length !== names.length || !keys.every((k) => names.includes(k))) {
        throw badRequest(`Failed to parse data as TF serving input. The entries in '${format}' have different keys`);
      }
    }
    return { kind: 'tensors', value: Object.fromEntries(names.map((n) => [n, value.map((item) => item[n])])) };
  }
  return { kind: 'tensor', value };
}

/** A CSV body with a header row, as `pandas.DataFrame.to_csv(index=False)` writes it; numbers become numbers. */
export function parseCsvRequest(text: string): ModelInput {
  const lines = splitCsv(text.replace(/\r\n/g, '\n'));
  const header = lines.shift();
  if (header === undefined || header.length === 0) {
    throw badRequest('Failed to parse input as a Pandas DataFrame. The CSV body has no header row.');
  }
  const rows = lines.filter((row) => !(row.length === 1 && row[0] === ''));
  for (const row of rows) {
    if (row.length !== header.length) {
      throw badRequest(
        `Failed to parse input as a Pandas DataFrame. Expected ${header.length} fields in a line, saw ${row.length}.`,
      );
    }
  }
  return { kind: 'dataframe', columns: header, rows: rows.map((row) => row.map(csvValue)) };
}

function csvValue(cell: string): unknown {
  if (cell === '') return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell.trim())) return Number(cell);
  if (cell === 'True' || cell === 'true') return true;
  if (cell === 'False' || cell === 'false') return false;
  return cell;
}

/** RFC 4180 fields: quoted fields may hold commas, newlines and doubled quotes. */
function splitCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
