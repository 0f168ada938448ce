import { render, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch } from '../test/fake-fetch.ts';
import { differingSettings, HealthPage } from './health-page.tsx';

const node = (id: string, port: number, drift: boolean, summary: Record<string, unknown>) => ({
  node_id: id,
  host: '127.0.0.1',
  port,
  version: '1.0.0',
  schema_version: 9,
  started_at: 1,
  heartbeat_at: 2,
  config_fingerprint: `${id}-fingerprint`,
  config_summary: summary,
  drift,
});

/** The stores as /plumb/status answers when the bucket refuses the server's credentials. */
const STATUS = {
  database: { engine: 'postgres', reachable: true, latency_ms: 3, schema_version: 10, pending_migrations: [] },
  artifact_store: {
    description: 's3://models/prod',
    reachable: false,
    latency_ms: 41,
    error: 'AccessDenied: no s3:ListBucket',
  },
};

describe('HealthPage', () => {
  beforeEach(() => {
    const server = fakeFetch((request) => ({
      body: request.url.pathname.endsWith('/plumb/status')
        ? STATUS
        : {
            nodes: [
              node('a', 5001, false, { store: { kind: 'sqlite' }, artifactsDestination: '/srv/a', workers: 4 }),
              node('b', 5002, false, { artifactsDestination: '/srv/a', workers: 4, store: { kind: 'sqlite' } }),
              node('c', 5003, true, { store: { kind: 'sqlite' }, artifactsDestination: '/srv/c', workers: 8 }),
            ],
          },
    }));
    vi.stubGlobal('fetch', server.fetcher);
  });

  it('marks the drifting node with each differing setting and the value the others have', async () => {
    render(<HealthPage />);
    const table = await screen.findByRole('table', { name: 'Live nodes' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.className)).toEqual(['', '', 'drift']);
    expect(rows[2]!.textContent).toContain('artifactsDestination: /srv/c (others: /srv/a)');
    expect(rows[2]!.textContent).toContain('workers: 8 (others: 4)');
    expect(screen.getByRole('alert', { name: 'Configuration drift' }).textContent).toContain(
      '1 of 3 nodes run with settings that differ from the others (artifactsDestination, workers)',
    );
  });

  it('shows the database and the artifact store as probed, an unreachable one marked with its reason', async () => {
    render(<HealthPage />);
    const table = await screen.findByRole('table', { name: 'Stores' });
    const [database, artifacts] = within(table).getAllByRole('row').slice(1);
    expect(database!.textContent).toBe('Databasepostgresreachable (3 ms)schema 10');
    expect(database!.className).toBe('');
    expect(artifacts!.className).toBe('drift');
    expect(artifacts!.textContent).toContain('s3://models/prod');
    expect(artifacts!.textContent).toContain('unreachable: AccessDenied: no s3:ListBucket');
  });

  it('compares settings by value, whatever the key order', () => {
    expect(differingSettings({ s: { a: 1, b: 2 }, x: 1 }, { x: 1, s: { b: 2, a: 1 } })).toEqual([]);
    expect(differingSettings({ s: [1, 2] }, { s: [2, 1], t: 'only here' })).toEqual(['s', 't']);
  });
});
