import { render, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ArtifactPreview, PREVIEW_MAX_BYTES, parseCsv, previewKindOf } from './artifact-preview.tsx';
import { describeSpec } from './mlmodel-summary.tsx';

const FILES: Record<string, { body: string; type: string; size?: number }> = {
  'metrics.json': { body: '{"auc":0.9,"folds":[1,2]}', type: 'application/json' },
  'conf/params.yaml': { body: 'lr: 0.1\nlayers:\n  - 64\n', type: 'text/yaml' },
  'eval.csv': { body: 'name,score\n"a, quoted",1\n"say ""hi""",2\n', type: 'text/csv' },
  'model/MLmodel': {
    body: 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: m\n  sklearn:\n    pickled_model: model.pkl\nrun_id: r1\n',
    type: 'application/octet-stream',
  },
  'broken/MLmodel': { body: 'flavors:\n  sklearn: 3\n', type: 'application/octet-stream' },
  'plot.png': { body: 'not really a png', type: 'image/png' },
  'big.txt': { body: '', type: 'text/plain', size: PREVIEW_MAX_BYTES + 1 },
};
const SHA = 'ab'.repeat(32);

/** The server's parsed MLmodel (GET /ajax-api/2.0/plumb/runs/mlmodel), or its parser's 400. */
function mlmodelAnswer(query: URLSearchParams, requests: { method: string; path: string }[]): Response {
  requests.push({ method: 'MLMODEL', path: query.get('path')! });
  if (query.get('path') === 'broken/MLmodel') {
    const error = { error_code: 'INVALID_PARAMETER_VALUE', message: "MLmodel: flavor 'sklearn' must be a mapping" };
    return new Response(JSON.stringify(error), { status: 400 });
  }
  const mlmodel = {
    flavors: { python_function: { loader_module: 'm' }, sklearn: { pickled_model: 'model.pkl' } },
    signature: {
      inputs: [
        { type: 'double', name: 'x1', required: true },
        { type: 'string', name: 'city', required: false },
      ],
      outputs: [{ type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1] } }],
    },
    mlflow_version: '3.11.2',
  };
  return new Response(JSON.stringify({ mlmodel }), { status: 200 });
}

/** /get-artifact as the server answers it: Content-Length, and X-Plumb-Sha256 from the manifest. */
function artifactServer() {
  const requests: { method: string; path: string }[] = [];
  const fetcher = async (input: string, init?: RequestInit) => {
    const url = new URL(input, 'http://plumb.test');
    if (url.pathname === '/ajax-api/2.0/plumb/runs/mlmodel') return mlmodelAnswer(url.searchParams, requests);
    const path = url.searchParams.get('path')!;
    const method = init?.method ?? 'GET';
    requests.push({ method, path });
    const file = FILES[path]!;
    const headers = {
      'content-type': file.type,
      'content-length': String(file.size ?? new TextEncoder().encode(file.body).length),
      'x-plumb-sha256': SHA,
    };
    return new Response(method === 'HEAD' ? null : file.body, { status: 200, headers });
  };
  return { fetcher, requests };
}

describe('ArtifactPreview', () => {
  let server: ReturnType<typeof artifactServer>;
  beforeEach(() => {
    server = artifactServer();
    vi.stubGlobal('fetch', server.fetcher);
  });

  it('pretty-prints JSON and shows the size and sha256 from the manifest', async () => {
    render(<ArtifactPreview runId="r1" path="metrics.json" />);
    const pre = await screen.findByText(/"auc": 0.9/);
    expect(pre.getAttribute('data-kind')).toBe('json');
    expect(pre.textContent).toBe(JSON.stringify({ auc: 0.9, folds: [1, 2] }, null, 2));
    expect(screen.getByTestId('artifact-size').textContent).toBe('25 B');
    expect(screen.getByTestId('artifact-sha256').textContent).toBe(`sha256 ${SHA}`);
  });

  it('shows YAML as text', async () => {
    render(<ArtifactPreview runId="r1" path="conf/params.yaml" />);
    const pre = await screen.findByText(/lr: 0.1/);
    expect(pre.getAttribute('data-kind')).toBe('yaml');
    expect(pre.textContent).toBe(FILES['conf/params.yaml']!.body);
  });

  it('shows CSV as a table, quoted commas and quotes kept in their cells', async () => {
    render(<ArtifactPreview runId="r1" path="eval.csv" />);
    const table = await screen.findByRole('table', { name: 'Table eval.csv' });
    const rows = within(table).getAllByRole('row');
    expect(rows.map((r) => [...r.children].map((c) => c.textContent))).toEqual([
      ['name', 'score'],
      ['a, quoted', '1'],
      ['say "hi"', '2'],
    ]);
  });

  it("shows an MLmodel's flavors and signature as the server's parser reads them, above its text", async () => {
    render(<ArtifactPreview runId="r1" path="model/MLmodel" />);
    expect((await screen.findByTestId('mlmodel-flavors')).textContent).toBe('python_function, sklearn');
    expect(screen.getByTestId('mlmodel-inputs').textContent).toBe('x1: double; city: string (optional)');
    expect(screen.getByTestId('mlmodel-outputs').textContent).toBe('tensor float64 (-1)');
    expect(server.requests).toContainEqual({ method: 'MLMODEL', path: 'model/MLmodel' });
    expect(await screen.findByText(/pickled_model: model.pkl/)).toBeTruthy();
  });

  it("shows the parser's message for a malformed MLmodel, and the file's text still", async () => {
    render(<ArtifactPreview runId="r1" path="broken/MLmodel" />);
    expect((await screen.findByTestId('mlmodel-error')).textContent).toBe(
      "MLmodel: flavor 'sklearn' must be a mapping",
    );
    expect(await screen.findByText(/sklearn: 3/)).toBeTruthy();
  });

  it('shows an image from its artifact URL without downloading it for the preview', async () => {
    render(<ArtifactPreview runId="r1" path="plot.png" />);
    const image = await screen.findByRole('img', { name: 'plot.png' });
    expect(image.getAttribute('src')).toBe('/get-artifact?run_uuid=r1&path=plot.png');
    expect(server.requests).toEqual([{ method: 'HEAD', path: 'plot.png' }]);
  });

  it('asks only for the headers of a file too large to preview', async () => {
    render(<ArtifactPreview runId="r1" path="big.txt" />);
    await screen.findByText(/Too large to preview \(1\.0 MiB\)/);
    expect(server.requests).toEqual([{ method: 'HEAD', path: 'big.txt' }]);
    expect(screen.getByTestId('artifact-sha256').textContent).toBe(`sha256 ${SHA}`);
  });
});

describe('preview helpers', () => {
  it('chooses the preview by file name', () => {
    expect(['a.json', 'b.YML', 'c.csv', 'MLmodel', 'd.jpeg', 'e.txt', 'f.bin'].map(previewKindOf)).toEqual([
      'json',
      'yaml',
      'csv',
      'mlmodel',
      'image',
      'text',
      'none',
    ]);
  });

  it('parses CSV with CRLF line ends, embedded newlines and a last line without one', () => {
    expect(parseCsv('a,b\r\n"x\ny",2\r\nlast,3', 10)).toEqual([
      ['a', 'b'],
      ['x\ny', '2'],
      ['last', '3'],
    ]);
    expect(parseCsv('a\n1\n2\n3\n', 2)).toEqual([['a'], ['1']]);
  });

  it('describes signature entries as MLflow prints them', () => {
    expect(describeSpec({ type: 'long' })).toBe('long');
    expect(
      describeSpec({ type: 'tensor', name: 'pixels', 'tensor-spec': { dtype: 'uint8', shape: [-1, 28, 28] } }),
    ).toBe('pixels: tensor uint8 (-1, 28, 28)');
  });
});
