import { listTasks } from '@peft-lab/data/catalog';
import { listBaseModels, listDatasets } from '@peft-lab/db';
import { describeSpecForm } from '@peft-lab/sweeps';
import { getDb } from '@/lib/db';
import { formatParamCount } from '@/lib/pages/format';
import { SweepForm } from '@/components/sweep-form/sweep-form';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'New sweep' };

export default async function NewSweepPage() {
  const db = getDb();
  const [models, datasets] = await Promise.all([listBaseModels(db), listDatasets(db, { kind: 'imported' })]);
  const baseModels = [
    { value: 'builtin', label: 'builtin (the packaged small model)' },
    // Registered models with their family and size (parameters, recorded by `peft-lab model add`).
    ...models.filter((m) => m.name !== 'builtin').map((m) => ({
      value: m.name,
      label: `${m.name} (${m.family}, ${m.parameterCount !== null ? `${formatParamCount(Number(m.parameterCount))} parameters` : m.source === 'builtin' ? 'built-in' : 'checkpoint'})`,
    })),
  ];
  const tasks = [
    ...listTasks().map((t) => ({ value: t.name, label: `${t.name} — ${t.kind}, ${t.metric}` })),
    ...datasets.map((d) => ({ value: d.name, label: `${d.name} — imported ${d.taskKind}` })),
  ];
  return (
    <>
      <h1>New sweep</h1>
      <p className="muted">Tick methods to reveal their hyperparameters. A field takes one value, a comma-separated list (each value is tried), or a JSON range. The YAML on the right is the same spec: edit either.</p>
      <SweepForm form={describeSpecForm()} baseModels={baseModels} tasks={tasks} />
    </>
  );
}
