import { describe, expect, it } from 'vitest';
import type { Run } from '../api/types.ts';
import { axisChoices, scatterData } from './scatter-data.ts';

function run(id: string, params: Record<string, string>, metrics: Record<string, number>): Run {
  return {
    info: { run_id: id, experiment_id: '1' },
    data: {
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 0, step: 0 })),
    },
  } as unknown as Run;
}

const RUNS = [
  run('a', { lr: '0.1', opt: 'sgd' }, { loss: 0.5, acc: 0.8 }),
  run('b', { lr: '0.01', opt: 'adam' }, { loss: 0.3 }),
  run('c', { lr: '0.001', opt: 'adam' }, { loss: 0.2, acc: 0.9 }),
  run('d', { opt: 'rmsprop' }, { loss: 0.4, acc: 0.7 }),
];

describe('scatterData', () => {
  it('plots a numeric param against a metric in ascending x, leaving out runs missing either', () => {
    const data = scatterData(RUNS, { kind: 'param', key: 'lr' }, { kind: 'metric', key: 'loss' });
    expect(data.xs).toEqual([0.001, 0.01, 0.1]);
    expect(data.ys).toEqual([0.2, 0.3, 0.5]);
    expect(data.runIds).toEqual(['c', 'b', 'a']);
    expect(data.categories).toBeUndefined();
    expect(data.skipped).toBe(1);
  });

  it('places a text param’s values as sorted categories', () => {
    const data = scatterData(RUNS, { kind: 'param', key: 'opt' }, { kind: 'metric', key: 'acc' });
    expect(data.categories).toEqual(['adam', 'rmsprop', 'sgd']);
    expect(data.xs).toEqual([0, 1, 2]);
    expect(data.runIds).toEqual(['c', 'd', 'a']);
    expect(data.skipped).toBe(1);
  });

  it('plots one metric against another', () => {
    const data = scatterData(RUNS, { kind: 'metric', key: 'acc' }, { kind: 'metric', key: 'loss' });
    expect(data.xs).toEqual([0.7, 0.8, 0.9]);
    expect(data.ys).toEqual([0.4, 0.5, 0.2]);
  });

  it('handles 1,000 runs', () => {
    const many = Array.from({ length: 1000 }, (_, i) => run(`r${i}`, { lr: String(i / 1000) }, { loss: 1 / (i + 1) }));
    const data = scatterData(many, { kind: 'param', key: 'lr' }, { kind: 'metric', key: 'loss' });
    expect(data.xs).toHaveLength(1000);
    expect(data.skipped).toBe(0);
  });

  it('offers every param and metric key', () => {
    expect(axisChoices(RUNS)).toEqual({ params: ['lr', 'opt'], metrics: ['acc', 'loss'] });
  });
});
