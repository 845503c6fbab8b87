import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseModel, createDataset, deleteDataset, getBaseModel, getDataset, listDatasets, upsertBaseModel } from './catalog';
import { InvalidArgumentError, NotFoundError } from './errors';
import { createSweepWithTrials, getSweep, getSweepMethodSummary, getTrialSeries, listTrials } from './queries';
import { listSweeps } from './sweep-list';
import { TrialQueue } from './queue/trial-queue';
import { createTestDatabase, type TestDatabase } from './testing';

let t: TestDatabase;
let queue: TrialQueue;
beforeAll(async () => {
  t = await createTestDatabase();
  queue = new TrialQueue(t.db);
});
afterAll(() => t?.cleanup());

describe('getTrialSeries', () => {
  it('downsamples to at most maxPoints buckets with the right min/max/last', async () => {
    await createSweepWithTrials(t.db, { name: 'series', spec: {}, task: 'spam' }, [{ method: 'lora', hyperparameters: {}, seed: 0 }]);
    const lease = (await queue.claimNextTrial('w', 60_000))!;
    // 1,000 steps of a zig-zag: value = step % 7, plus a short second series.
    const value = (s: number) => (s % 7) - (s === 500 ? 100 : 0);
    await queue.writeMetricPoints(lease, [
      ...Array.from({ length: 1000 }, (_, s) => ({ name: 'train/loss', step: s, value: value(s) })),
      ...[0, 10, 20].map((s) => ({ name: 'eval/accuracy', step: s, value: s / 100 })),
    ]);
    const series = await getTrialSeries(t.db, lease.trialId, { names: ['train/loss'], maxPoints: 30 });
    expect(series.map((s) => s.name)).toEqual(['train/loss']);
    const pts = series[0].points;
    expect(pts.length).toBeLessThanOrEqual(30);
    expect(pts.reduce((n, p) => n + p.count, 0)).toBe(1000);
    for (const p of pts) {
      const steps = Array.from({ length: p.stepEnd - p.step + 1 }, (_, i) => p.step + i);
      expect(p.count).toBe(steps.length);
      expect(p.min).toBe(Math.min(...steps.map(value)));
      expect(p.max).toBe(Math.max(...steps.map(value)));
      expect(p.last).toBe(value(p.stepEnd));
    }
    expect(pts.some((p) => p.min === -100 + (500 % 7))).toBe(true);
    // A short series comes back whole; no names = every series.
    const all = await getTrialSeries(t.db, lease.trialId, { maxPoints: 30 });
    expect(all.map((s) => s.name)).toEqual(['eval/accuracy', 'train/loss']);
    expect(all[0].points.map((p) => [p.step, p.last])).toEqual([[0, 0], [10, 0.1], [20, 0.2]]);
    await expect(getTrialSeries(t.db, lease.trialId, { maxPoints: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await queue.completeTrial(lease, {});
  });
});

describe('sweeps and trials', () => {
  it('creates a sweep with trials atomically and lists it with counts, pages, sorts and per-method stats', async () => {
    const trials = [
      ...[0.8, 0.9].map((acc, i) => ({ method: 'full', hyperparameters: { lr: 1e-4 }, seed: i, acc })),
      ...[0.7, 0.75, 0.95].map((acc, i) => ({ method: 'lora', hyperparameters: { r: 4 }, seed: i, acc })),
    ];
    const { sweep, trialIds } = await createSweepWithTrials(t.db, { name: 'compare', spec: { methods: ['full', 'lora'] }, task: 'spam' },
      trials.map(({ acc: _acc, ...tr }) => tr));
    expect(trialIds).toHaveLength(5);
    for (const tr of trials) {
      const lease = (await queue.claimNextTrial('w', 60_000))!;
      expect(lease.sweepId).toBe(sweep.id);
      await queue.completeTrial(lease, { accuracy: trials[lease.trial.index].acc, note: 'x' });
    }
    const listed = (await listSweeps(t.db)).items.find((s) => s.id === sweep.id)!;
    expect(listed.counts).toMatchObject({ completed: 5, queued: 0, total: 5 });
    expect(listed.status).toBe('completed');
    expect((await getSweep(t.db, sweep.id)).spec).toEqual({ methods: ['full', 'lora'] });
    await expect(getSweep(t.db, 'nope')).rejects.toBeInstanceOf(NotFoundError);

    const page = await listTrials(t.db, sweep.id, { sort: { by: 'summary.accuracy', dir: 'desc' }, pageSize: 2, page: 0 });
    expect(page.total).toBe(5);
    expect(page.items.map((i) => (i.summary as { accuracy: number }).accuracy)).toEqual([0.95, 0.9]);
    const lora = await listTrials(t.db, sweep.id, { method: ['lora'], status: ['completed'], sort: { by: 'index', dir: 'desc' } });
    expect(lora.items.map((i) => i.index)).toEqual([4, 3, 2]);
    await expect(listTrials(t.db, sweep.id, { sort: { by: 'drop table' as never } })).rejects.toBeInstanceOf(InvalidArgumentError);

    const summary = await getSweepMethodSummary(t.db, sweep.id);
    expect(summary.map((m) => m.method)).toEqual(['full', 'lora']);
    const loraAcc = summary[1].metrics.accuracy;
    expect(loraAcc.n).toBe(3);
    expect(loraAcc.mean).toBeCloseTo(0.8);
    expect(loraAcc.std).toBeCloseTo(Math.sqrt(((0.1 ** 2) + (0.05 ** 2) + (0.15 ** 2)) / 2));
    expect(summary[1].metrics.note).toBeUndefined();
  });

  it('lists sweeps by name (wildcards are literal) and status, with the best trial per method by the objective', async () => {
    const mk = async (name: string, spec: Record<string, unknown>, values: number[]) => {
      const { sweep } = await createSweepWithTrials(t.db, { name, spec, task: 'lm-moby' }, values.map((_, i) => ({ method: i % 2 ? 'lora' : 'full', hyperparameters: {}, seed: i })));
      for (const v of values) {
        const lease = (await queue.claimNextTrial('w', 60_000))!;
        await queue.completeTrial(lease, { eval_perplexity: v, eval_loss: v / 10 });
      }
      return sweep;
    };
    // lm-moby's metric is perplexity (minimised); the spec's objective wins when it names one.
    const ppl = await mk('list 100% ppl', {}, [30, 20, 25, 40]);
    const loss = await mk('list_loss', { objective: { metric: 'eval_loss', direction: 'minimize' } }, [30, 50]);
    const byName = await listSweeps(t.db, { q: '100%' });
    expect(byName.items.map((s) => s.id)).toEqual([ppl.id]);
    expect(byName.items[0].objective).toMatchObject({ metric: 'perplexity', direction: 'minimize', summaryKey: 'eval_perplexity' });
    expect(byName.items[0].best.map((b) => [b.method, b.value])).toEqual([['lora', 20], ['full', 25]]);
    const both = await listSweeps(t.db, { q: 'LIST', status: ['completed'], pageSize: 1 });
    expect([both.total, both.items.map((s) => s.id)]).toEqual([2, [loss.id]]);
    expect(both.items[0].best.map((b) => [b.method, b.value])).toEqual([['full', 3], ['lora', 5]]);
    expect((await listSweeps(t.db, { q: 'list', status: ['failed'] })).total).toBe(0);
    await expect(listSweeps(t.db, { pageSize: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('stores nothing when a trial is invalid', async () => {
    const before = await t.db.sweep.count();
    await expect(createSweepWithTrials(t.db, { name: 'bad', spec: {}, task: 'spam' }, [{ method: 'lora', hyperparameters: {}, seed: 1.5 }]))
      .rejects.toThrow(/trials\[0\]\.seed/);
    // Rejected by the database (duplicate index): the sweep row is rolled back too.
    await expect(createSweepWithTrials(t.db, { name: 'dup', spec: {}, task: 'spam' }, [
      { method: 'lora', hyperparameters: {}, seed: 1, index: 0 }, { method: 'lora', hyperparameters: {}, seed: 1, index: 0 },
    ])).rejects.toThrow();
    expect(await t.db.sweep.count()).toBe(before);
  });
});

describe('catalog', () => {
  it('creates, finds and deletes datasets and base models', async () => {
    const d = await createDataset(t.db, { name: 'my-spam', kind: 'imported', taskKind: 'classification', labels: ['ham', 'spam'], sizes: { train: 10 }, location: '/x.csv' });
    expect((await getDataset(t.db, 'my-spam')).id).toBe(d.id);
    expect((await listDatasets(t.db)).map((x) => x.name)).toContain('my-spam');
    await deleteDataset(t.db, d.id);
    await expect(getDataset(t.db, d.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteDataset(t.db, d.id)).rejects.toBeInstanceOf(NotFoundError);
    const m = await createBaseModel(t.db, { name: 'tiny-gpt2', family: 'gpt2', source: 'hf_dir', location: '/models/tiny', config: { n_layer: 2 } });
    const again = await upsertBaseModel(t.db, { name: 'tiny-gpt2', family: 'gpt2', source: 'hf_dir', location: '/models/tiny2', config: {} });
    expect(again.id).toBe(m.id);
    expect((await getBaseModel(t.db, m.id)).location).toBe('/models/tiny2');
  });
});
