import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../app.tsx';
import type { RegistryEvent } from '../api/types.ts';
import { fakeFetch, type Recorded } from '../test/fake-fetch.ts';

/**
 * A registry holding one model, with the server's concurrency rule: a write whose If-Match names
 * an older revision is refused with 409 RESOURCE_CONFLICT and changes nothing.
 */
function registryServer() {
  const model = {
    revision: 3,
    description: 'first draft',
    aliases: [{ alias: 'champion', version: '1' }],
    stages: { '1': 'Production', '2': 'None' } as Record<string, string>,
    tags: [{ key: 'team', value: 'risk' }] as { key: string; value: string }[],
    events: [
      { id: '1', name: 'fraud', kind: 'registered_model.created', revision: 1, actor: 'alice', time: 1, after: {} },
      { id: '2', name: 'fraud', version: '1', kind: 'model_version.created', revision: 2, time: 2, after: {} },
      {
        id: '3',
        name: 'fraud',
        kind: 'alias.set',
        version: '1',
        revision: 3,
        actor: 'alice',
        time: 3,
        after: { alias: 'champion', version: '1' },
      },
    ] as RegistryEvent[],
  };
  const change = (event: Omit<RegistryEvent, 'id' | 'name' | 'revision' | 'time'>) => {
    model.revision += 1;
    model.events.push({ ...event, id: String(model.revision), name: 'fraud', revision: model.revision, time: 10 });
  };
  const etag = () => ({ etag: `"${model.revision}"` });
  const server = fakeFetch((request: Recorded) => {
    const path = request.url.pathname.replace('/ajax-api/2.0/', '');
    if (request.method !== 'GET') {
      const expected = request.headers.get('if-match');
      if (expected !== `"${model.revision}"`) {
        return {
          status: 409,
          body: {
            error_code: 'RESOURCE_CONFLICT',
            message: `Registered model 'fraud' is at revision ${model.revision}`,
          },
        };
      }
    }
    switch (`${request.method} ${path}`) {
      case 'GET mlflow/registered-models/get':
        return {
          headers: etag(),
          body: {
            registered_model: {
              name: 'fraud',
              description: model.description,
              aliases: model.aliases,
              tags: model.tags,
            },
          },
        };
      case 'GET mlflow/model-versions/search':
        return {
          body: {
            model_versions: ['2', '1'].map((v) => ({
              name: 'fraud',
              version: v,
              current_stage: model.stages[v],
              status: 'READY',
              run_id: `run${v}`,
              source: `runs:/run${v}/model`,
            })),
          },
        };
      case 'GET plumb/registered-models/events':
        return { headers: etag(), body: { revision: model.revision, events: model.events } };
      case 'PATCH mlflow/registered-models/update': {
        const before = model.description;
        model.description = String(request.body?.description);
        change({
          kind: 'registered_model.updated',
          before: { description: before },
          after: { description: model.description },
        });
        return { headers: etag(), body: {} };
      }
      case 'POST mlflow/registered-models/set-tag': {
        const tag = { key: String(request.body?.key), value: String(request.body?.value) };
        model.tags = [...model.tags.filter((t) => t.key !== tag.key), tag];
        change({ kind: 'registered_model.tag_set', after: tag });
        return { headers: etag(), body: {} };
      }
      case 'DELETE mlflow/registered-models/delete-tag': {
        model.tags = model.tags.filter((t) => t.key !== request.body?.key);
        change({ kind: 'registered_model.tag_deleted', before: { key: String(request.body?.key) } });
        return { headers: etag(), body: {} };
      }
      case 'DELETE mlflow/registered-models/alias': {
        model.aliases = model.aliases.filter((a) => a.alias !== request.body?.alias);
        change({ kind: 'alias.deleted', before: { alias: String(request.body?.alias) } });
        return { headers: etag(), body: {} };
      }
      case 'POST mlflow/model-versions/transition-stage': {
        const version = String(request.body?.version);
        model.stages[version] = String(request.body?.stage);
        change({ kind: 'model_version.stage_transitioned', version, after: { current_stage: model.stages[version] } });
        return { headers: etag(), body: {} };
      }
      default:
        return { status: 404, body: { error_code: 'ENDPOINT_NOT_FOUND', message: path } };
    }
  });
  /** Another client moving the alias, as the page cannot know. */
  const moveAliasBehindThePage = () => {
    model.aliases = [{ alias: 'champion', version: '2' }];
    change({
      kind: 'alias.set',
      version: '2',
      actor: 'bob',
      before: { alias: 'champion', version: '1' },
      after: { alias: 'champion', version: '2' },
    });
  };
  return { ...server, model, moveAliasBehindThePage };
}

describe('ModelPage', () => {
  let server: ReturnType<typeof registryServer>;
  beforeEach(() => {
    server = registryServer();
    vi.stubGlobal('fetch', server.fetcher);
    window.history.replaceState(null, '', '/models/fraud');
  });

  it('edits the description with the displayed revision and shows the change at the top of the history', async () => {
    render(<App />);
    await screen.findByText('Revision 3');
    fireEvent.click(screen.getByRole('button', { name: 'Edit description' }));
    fireEvent.change(screen.getByRole('textbox', { name: 'Description' }), { target: { value: 'scores payments' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save description' }));
    await screen.findByText('Revision 4');
    expect(screen.getByText('scores payments')).toBeTruthy();
    const write = server.requests.find((r) => r.method === 'PATCH')!;
    expect(write.headers.get('if-match')).toBe('"3"');
    expect(write.body).toEqual({ name: 'fraud', description: 'scores payments' });
    const rows = within(screen.getByRole('table', { name: 'Promotion history' })).getAllByRole('row');
    expect(rows[1]!.textContent).toContain('description changed');
    expect(rows[1]!.textContent).toContain('description: first draft');
    expect(rows[1]!.textContent).toContain('description: scores payments');
    expect(rows.at(-1)!.textContent).toContain('model created');
  });

  it('sets and deletes model tags, each against the revision shown when it was made', async () => {
    render(<App />);
    await screen.findByText('Revision 3');
    fireEvent.change(screen.getByRole('textbox', { name: 'Tag key' }), { target: { value: 'owner' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'Tag value' }), { target: { value: 'ana' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set tag' }));
    await screen.findByText('Revision 4');
    fireEvent.click(screen.getByRole('button', { name: 'Delete tag team' }));
    await screen.findByText('Revision 5');
    expect(server.model.tags).toEqual([{ key: 'owner', value: 'ana' }]);
    const writes = server.requests.filter((r) => r.method !== 'GET');
    expect(writes.map((r) => [r.method, r.url.pathname, r.headers.get('if-match'), r.body])).toEqual([
      ['POST', '/ajax-api/2.0/mlflow/registered-models/set-tag', '"3"', { name: 'fraud', key: 'owner', value: 'ana' }],
      ['DELETE', '/ajax-api/2.0/mlflow/registered-models/delete-tag', '"4"', { name: 'fraud', key: 'team' }],
    ]);
    const cells = within(screen.getByRole('table', { name: 'Model tags' })).getAllByRole('cell');
    expect(cells.map((c) => c.textContent).slice(0, 2)).toEqual(['owner', 'ana']);
  });

  it('moves a version to a stage archiving the others, and links each version to its page', async () => {
    render(<App />);
    await screen.findByText('Revision 3');
    fireEvent.change(screen.getByRole('combobox', { name: 'Version to change' }), { target: { value: '2' } });
    fireEvent.change(screen.getByRole('combobox', { name: 'Stage' }), { target: { value: 'Production' } });
    fireEvent.click(screen.getByRole('checkbox', { name: /Archive other versions/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Transition stage' }));
    await screen.findByText('Revision 4');
    const write = server.requests.find((r) => r.url.pathname.endsWith('/transition-stage'))!;
    expect(write.body).toEqual({ name: 'fraud', version: '2', stage: 'Production', archive_existing_versions: true });
    expect(screen.getByRole('link', { name: 'v2' }).getAttribute('href')).toBe('/models/fraud/versions/2');
  });

  it('reports a conflicting change made elsewhere, overwrites nothing, and reloads on request', async () => {
    render(<App />);
    await screen.findByText('Revision 3');
    server.moveAliasBehindThePage();
    fireEvent.click(screen.getByRole('button', { name: 'Delete alias @champion' }));
    const alert = await screen.findByRole('alert', { name: 'Conflict' });
    expect(alert.textContent).toContain('you saw revision 3, it is now at revision 4');
    expect(alert.textContent).toContain(
      'bob: alias set (v2), alias: champion; version: 1 → alias: champion; version: 2',
    );
    expect(alert.textContent).toContain('Nothing was overwritten');
    expect(server.model.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expect(server.model.revision).toBe(4);
    // Until reloaded, the page's edits stay disabled: each would be refused again.
    expect((screen.getByRole('button', { name: 'Edit description' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(alert).getByRole('button', { name: 'Reload model' }));
    await screen.findByText('Revision 4');
    expect(screen.queryByRole('alert', { name: 'Conflict' })).toBeNull();
    await waitFor(() =>
      expect((screen.getByRole('button', { name: 'Edit description' }) as HTMLButtonElement).disabled).toBe(false),
    );
  });
});
