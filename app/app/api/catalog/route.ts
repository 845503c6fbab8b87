// GET /api/catalog — what a sweep can name: base models (built-in + registered) and tasks
// (built-in from @peft-lab/data + imported datasets).
import { listTasks } from '@peft-lab/data/catalog';
import { listBaseModels, listDatasets } from '@peft-lab/db';
import { getDb } from '../../../lib/db';
import { json, route } from '../../../lib/responses';

export const dynamic = 'force-dynamic';

export const GET = route(async () => {
  const db = getDb();
  const [models, datasets] = await Promise.all([listBaseModels(db), listDatasets(db)]);
  const builtinTasks = listTasks().map((t) => ({
    name: t.name, source: 'builtin' as const, kind: t.kind, metric: t.metric, metrics: t.metrics,
    labels: t.labels, sizes: t.sizes, description: t.description,
  }));
  const builtinNames = new Set(builtinTasks.map((t) => t.name));
  const imported = datasets
    .filter((d) => !builtinNames.has(d.name))
    .map((d) => ({ name: d.name, source: d.kind, id: d.id, kind: d.taskKind, labels: d.labels, sizes: d.sizes, createdAt: d.createdAt }));
  const baseModels = [
    ...(models.some((m) => m.name === 'builtin') ? [] : [{ name: 'builtin', source: 'builtin', family: 'gpt2', description: 'the project\'s own small GPT-2-style model' }]),
    ...models.map((m) => ({
      id: m.id, name: m.name, source: m.source, family: m.family, location: m.location,
      parameterCount: m.parameterCount, dtype: m.dtype, bytesOnDisk: m.bytesOnDisk, host: m.host, createdAt: m.createdAt,
    })),
  ];
  return json({ baseModels, tasks: [...builtinTasks, ...imported] });
});
