'use client';
// The new-sweep form. Its state IS the sweep spec (plain JSON): the fields and
// the YAML editor are two views of it, validated inline by @peft-lab/sweeps'
// own schema (the same one the API and the worker use), so messages match.
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { checkSweepSpec, countTrials, countTrialsByEntry, sweepNotes, type SpecFormDescription } from '@peft-lab/sweeps';
import { FieldInput } from './field-input';
import { presets } from './presets';
import { SessionUnlock } from '../session-unlock';

type Spec = Record<string, unknown> & { methods?: { method: string; space?: Record<string, unknown>; label?: string }[]; training?: Record<string, unknown> };

export interface CatalogOption { value: string; label: string }

function errorsAt(errors: string[], path: string): string[] {
  return errors.filter((e) => e.startsWith(`${path}:`) || e.startsWith(`${path}.`) || e.startsWith(`${path}[`));
}

export function SweepForm({ form, baseModels, tasks }: { form: SpecFormDescription; baseModels: CatalogOption[]; tasks: CatalogOption[] }) {
  const router = useRouter();
  const defaultTask = tasks[0]?.value ?? 'spam';
  const defaultModel = baseModels[0]?.value ?? 'builtin';
  const allPresets = useMemo(() => presets(defaultTask, defaultModel), [defaultTask, defaultModel]);
  const [spec, setSpecState] = useState<Spec>(allPresets[0].spec as Spec);
  const [yamlText, setYamlText] = useState(() => toYaml(allPresets[0].spec));
  const [yamlError, setYamlError] = useState<string | null>(null);
  const [submitErrors, setSubmitErrors] = useState<string[]>([]);
  const [needsToken, setNeedsToken] = useState(false);
  const [submitting, setSubmitting] = useState(false);

  function setSpec(next: Spec) {
    setSpecState(next);
    setYamlText(toYaml(next));
    setYamlError(null);
    setSubmitErrors([]);
  }
  function onYaml(text: string) {
    setYamlText(text);
    setSubmitErrors([]);
    try {
      const obj = parseYaml(text);
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) { setYamlError('YAML: the spec must be a mapping (name:, task:, methods: …)'); return; }
      setYamlError(null);
      setSpecState(obj as Spec);
    } catch (err) {
      setYamlError(`YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  const check = useMemo(() => checkSweepSpec(spec), [spec]);
  const errors = check.ok ? [] : check.errors;
  const counts = useMemo(() => {
    if (!check.ok) return null;
    try { return { total: countTrials(check.spec), byEntry: countTrialsByEntry(check.spec) }; } catch { return null; }
  }, [check]);
  // advice on a valid spec (the same notes POST /api/sweeps returns): shown, never blocking
  const notes = useMemo(() => (check.ok ? sweepNotes(check.spec) : []), [check]);

  const methods = spec.methods ?? [];
  // Every registered method but the full fine-tuning baseline (its own checkbox), in registry order.
  const PEFT_METHODS = form.methods.map((m) => m.method).filter((m) => m !== 'full');
  const training = spec.training ?? {};
  const set = (key: string, v: unknown) => { const n = { ...spec }; if (v === undefined || v === '') delete n[key]; else n[key] = v; setSpec(n); };
  const setTraining = (key: string, v: unknown) => { const t = { ...training }; if (v === undefined) delete t[key]; else t[key] = v; set('training', t); };
  function toggleMethod(m: string, on: boolean) {
    const next = on ? [...methods, { method: m, space: {} }] : methods.filter((e) => e.method !== m);
    set('methods', next);
  }
  // methods[] may hold several entries of one method (e.g. LoRA on attention vs on the FFN):
  // the form edits each by its index in the spec.
  function setSpace(index: number, key: string, v: unknown) {
    set('methods', methods.map((e, i) => {
      if (i !== index) return e;
      const space = { ...(e.space ?? {}) };
      if (v === undefined) delete space[key]; else space[key] = v;
      return { ...e, space };
    }));
  }
  function setLabel(index: number, label: string) {
    set('methods', methods.map((e, i) => {
      if (i !== index) return e;
      const { label: _old, ...rest } = e;
      return label ? { ...rest, label } : rest;
    }));
  }
  /** Another entry of method m, starting from a copy of its first entry; entries get labels to tell them apart. */
  function addEntry(m: string) {
    const same = methods.filter((e) => e.method === m);
    const first = same[0];
    const next = methods.map((e) => (e === first && !e.label ? { ...e, label: `${m} 1` } : e));
    set('methods', [...next, { method: m, label: `${m} ${same.length + 1}`, space: { ...(first?.space ?? {}) } }]);
  }
  function removeEntry(index: number) {
    set('methods', methods.filter((_, i) => i !== index));
  }

  const lengthKey = training.maxSteps !== undefined ? 'maxSteps' : 'epochs';
  const strategy = (spec.strategy as { type?: string; count?: number; seed?: number; startupTrials?: number } | undefined) ?? { type: 'grid' };
  const early = (spec.earlyStopping as Record<string, unknown> | undefined) ?? { type: 'none' };
  const budget = (spec.budget as Record<string, unknown> | undefined) ?? {};
  const num = (s: string) => (s.trim() === '' ? undefined : Number.isFinite(Number(s)) ? Number(s) : s);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    await create();
  }

  async function create() {
    if (yamlError || !check.ok) { setSubmitErrors(yamlError ? [yamlError] : errors); return; }
    setSubmitting(true);
    try {
      const res = await fetch('/api/sweeps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
      const body = (await res.json().catch(() => ({}))) as { id?: string; sweep?: { id: string }; issues?: string[]; error?: string };
      if (!res.ok) {
        setSubmitErrors(body.issues ?? [body.error ?? `HTTP ${res.status}`]);
        // PEFT_LAB_TOKEN is set: ask for it once, then create.
        setNeedsToken(res.status === 401);
        return;
      }
      setNeedsToken(false);
      const id = body.sweep?.id ?? body.id;
      router.push(id ? `/sweeps/${id}` : '/');
    } catch (err) {
      setSubmitErrors([(err as Error).message]);
    } finally {
      setSubmitting(false);
    }
  }

  return (
    <form className="sweep-form" onSubmit={submit} noValidate aria-describedby="form-status">
      <fieldset className="presets">
        <legend>Presets</legend>
        {allPresets.map((p) => (
          <button key={p.id} type="button" onClick={() => setSpec(p.spec as Spec)} title={p.help}>{p.label}</button>
        ))}
      </fieldset>

      <div className="form-columns">
        <div className="form-fields">
          <fieldset>
            <legend>Sweep</legend>
            <div className="field"><label htmlFor="sweep-name">Name</label>
              <input id="sweep-name" type="text" value={String(spec.name ?? '')} onChange={(e) => set('name', e.target.value)} aria-invalid={errorsAt(errors, 'name').length > 0} />
              {errorsAt(errors, 'name').map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
            </div>
            <div className="field"><label htmlFor="sweep-base-model">Base model</label>
              <select id="sweep-base-model" value={String(spec.baseModel ?? 'builtin')} onChange={(e) => set('baseModel', e.target.value)}>
                {[...baseModels, ...(baseModels.some((b) => b.value === spec.baseModel) || !spec.baseModel ? [] : [{ value: String(spec.baseModel), label: String(spec.baseModel) }])].map((b) => <option key={b.value} value={b.value}>{b.label}</option>)}
              </select>
            </div>
            <div className="field"><label htmlFor="sweep-task">Task</label>
              <select id="sweep-task" value={String(spec.task ?? '')} onChange={(e) => set('task', e.target.value)}>
                {[...tasks, ...(tasks.some((t) => t.value === spec.task) || !spec.task ? [] : [{ value: String(spec.task), label: String(spec.task) }])].map((t) => <option key={t.value} value={t.value}>{t.label}</option>)}
              </select>
              {errorsAt(errors, 'task').map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
            </div>
          </fieldset>

          <fieldset>
            <legend>Methods</legend>
            <div className="field checkbox"><input id="method-full" type="checkbox" checked={spec.baseline !== 'none' || methods.some((m) => m.method === 'full')}
              onChange={(e) => set('baseline', e.target.checked ? 'full' : 'none')} /><label htmlFor="method-full">Full fine-tuning baseline</label></div>
            {PEFT_METHODS.map((m) => {
              const d = form.methods.find((x) => x.method === m)!;
              const entries = methods.map((entry, index) => ({ entry, index })).filter((x) => x.entry.method === m);
              const i = entries.length ? entries[0].index : -1;
              return (
                <div key={m} className="method">
                  <div className="field checkbox"><input id={`method-${m}`} type="checkbox" checked={i >= 0} onChange={(e) => toggleMethod(m, e.target.checked)} aria-describedby={`method-${m}-help`} />
                    <label htmlFor={`method-${m}`}>{m}</label> <small id={`method-${m}-help`}>{d.summary}</small></div>
                  {entries.map(({ entry, index }, k) => {
                    const prefix = k === 0 ? m : `${m}-${k + 1}`;
                    return (
                      <fieldset key={index} className="method-space" data-method={m}>
                        <legend>{entries.length === 1 ? `${m} hyperparameters` : `${m} entry ${k + 1}`}</legend>
                        {entries.length > 1 && (
                          <div className="field"><label htmlFor={`${prefix}-label`}>Entry label</label>
                            <input id={`${prefix}-label`} type="text" value={entry.label ?? ''} onChange={(e) => setLabel(index, e.target.value)} />
                            {errorsAt(errors, `methods[${index}].label`).map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
                          </div>
                        )}
                        {d.hyperparameters.map((f) => (
                          <FieldInput key={f.name} field={f} idPrefix={prefix} value={entry.space?.[f.name]} onChange={(v) => setSpace(index, f.name, v)} errors={errorsAt(errors, `methods[${index}].space.${f.name}`)} />
                        ))}
                        {errorsAt(errors, `methods[${index}]`).filter((x) => !/\.(space\.\w+|label)[:.[]/.test(x)).map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
                        {k > 0 && <button type="button" onClick={() => removeEntry(index)}>Remove {m} entry {k + 1}</button>}
                      </fieldset>
                    );
                  })}
                  {i >= 0 && <button type="button" className="add-entry" onClick={() => addEntry(m)}>Add another {m} entry</button>}
                </div>
              );
            })}
            {errorsAt(errors, 'methods').filter((x) => /^methods:/.test(x)).map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
          </fieldset>

          <fieldset>
            <legend>Training (every method)</legend>
            <div className="field"><label htmlFor="training-length-kind">Training length in</label>
              <select id="training-length-kind" value={lengthKey} onChange={(e) => { const t = { ...training }; const v = t[lengthKey]; delete t[lengthKey]; t[e.target.value] = v ?? 1; set('training', t); }}>
                <option value="maxSteps">optimiser steps (maxSteps)</option><option value="epochs">epochs</option>
              </select></div>
            {form.training.filter((f) => f.name !== (lengthKey === 'maxSteps' ? 'epochs' : 'maxSteps')).map((f) => (
              <FieldInput key={f.name} field={f} idPrefix="training" value={training[f.name]} onChange={(v) => setTraining(f.name, v)} errors={errorsAt(errors, `training.${f.name}`)} />
            ))}
            {errorsAt(errors, 'training').filter((x) => /^training:/.test(x)).map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
          </fieldset>

          <fieldset>
            <legend>Search</legend>
            <div className="field"><label htmlFor="sweep-seeds">Seeds (count, or a list like 11, 42)</label>
              <input id="sweep-seeds" type="text" value={Array.isArray(spec.seeds) ? spec.seeds.join(', ') : String(spec.seeds ?? '')}
                onChange={(e) => { const t = e.target.value; set('seeds', t.includes(',') ? t.split(',').map((x) => num(x)).filter((x) => x !== undefined) : num(t)); }} aria-invalid={errorsAt(errors, 'seeds').length > 0} />
              {errorsAt(errors, 'seeds').map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
            </div>
            <div className="field"><label htmlFor="sweep-strategy">Strategy</label>
              <select id="sweep-strategy" value={strategy.type ?? 'grid'} onChange={(e) => set('strategy', e.target.value === 'random' ? { type: 'random', count: strategy.count ?? 10, seed: strategy.seed ?? 0 }
                : e.target.value === 'tpe' ? { type: 'tpe', seed: strategy.seed ?? 0, startupTrials: strategy.startupTrials ?? 10 } : { type: e.target.value })}>
                {form.strategies.map((s) => <option key={s.type} value={s.type} disabled={!s.supported}>{s.type}{s.supported ? '' : ' (not yet supported)'}</option>)}
              </select></div>
            {strategy.type === 'random' && (<>
              <div className="field"><label htmlFor="strategy-count">Configurations per method</label>
                <input id="strategy-count" type="number" min={1} value={String(strategy.count ?? '')} onChange={(e) => set('strategy', { ...strategy, count: num(e.target.value) })} /></div>
              <div className="field"><label htmlFor="strategy-seed">Search seed</label>
                <input id="strategy-seed" type="number" value={String(strategy.seed ?? '')} onChange={(e) => set('strategy', { ...strategy, seed: num(e.target.value) })} /></div>
            </>)}
            {strategy.type === 'tpe' && (<>
              <div className="field"><label htmlFor="strategy-startup">Startup trials (one per method, then random, before TPE takes over)</label>
                <input id="strategy-startup" type="number" min={1} value={String(strategy.startupTrials ?? '')} onChange={(e) => set('strategy', { ...strategy, startupTrials: num(e.target.value) })} /></div>
              <div className="field"><label htmlFor="strategy-seed">Search seed</label>
                <input id="strategy-seed" type="number" value={String(strategy.seed ?? '')} onChange={(e) => set('strategy', { ...strategy, seed: num(e.target.value) })} /></div>
              <small>TPE suggests each trial from the finished ones, up to the budget below (required).</small>
            </>)}
            {errorsAt(errors, 'strategy').map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
            <div className="field"><label htmlFor="budget-max-trials">Budget: at most this many trials</label>
              <input id="budget-max-trials" type="number" min={1} value={String(budget.maxTrials ?? '')} onChange={(e) => set('budget', clean({ ...budget, maxTrials: num(e.target.value) }))} /></div>
            <div className="field"><label htmlFor="budget-max-parallel">Budget: trials running at once</label>
              <input id="budget-max-parallel" type="number" min={1} value={String(budget.maxParallel ?? '')} onChange={(e) => set('budget', clean({ ...budget, maxParallel: num(e.target.value) }))} /></div>
            {errorsAt(errors, 'budget').map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
            <div className="field"><label htmlFor="early-stopping">Early stopping</label>
              <select id="early-stopping" value={String(early.type ?? 'none')} onChange={(e) => {
                const d = form.earlyStopping.find((x) => x.type === e.target.value)!;
                set('earlyStopping', { type: d.type, ...Object.fromEntries(Object.entries(d.fields).map(([k, f]) => [k, f.default])) });
              }}>{form.earlyStopping.map((x) => <option key={x.type} value={x.type}>{x.type}</option>)}</select></div>
            {Object.entries(form.earlyStopping.find((x) => x.type === early.type)?.fields ?? {}).map(([k, f]) => (
              <div className="field" key={k}><label htmlFor={`early-${k}`}>{k}</label>
                <input id={`early-${k}`} type="number" value={String(early[k] ?? '')} aria-describedby={`early-${k}-help`} onChange={(e) => set('earlyStopping', { ...early, [k]: num(e.target.value) })} />
                <small id={`early-${k}-help`}>{f.help}</small></div>
            ))}
            {errorsAt(errors, 'earlyStopping').map((x) => <small key={x} className="error-text" role="alert">{x}</small>)}
          </fieldset>
        </div>

        <div className="form-yaml">
          <label htmlFor="spec-yaml">The same spec as YAML (edit either side)</label>
          <textarea id="spec-yaml" value={yamlText} onChange={(e) => onYaml(e.target.value)} spellCheck={false} rows={30} aria-describedby="form-status" aria-invalid={!!yamlError || errors.length > 0} />
        </div>
      </div>

      <div id="form-status" className="form-status" aria-live="polite">
        {yamlError && <p className="error-text" role="alert">{yamlError}</p>}
        {!yamlError && errors.length > 0 && (
          <div role="alert" className="error-box"><strong>The spec is not valid:</strong><ul>{errors.map((e) => <li key={e}>{e}</li>)}</ul></div>
        )}
        {!yamlError && counts && (
          <p className="trial-count" data-testid="trial-count">{counts.byEntry.some((e) => e.adaptive) ? 'Trials (adaptive, at most)' : 'Expected trials'}: <strong>{counts.total}</strong>
            {' '}({counts.byEntry.map((e) => `${e.method}${e.label ? ` ${e.label}` : ''}: ${e.trials}`).join(', ')})</p>
        )}
        {!yamlError && notes.length > 0 && (
          <div className="note-box" data-testid="spec-notes"><strong>Note (the sweep can still be created):</strong><ul>{notes.map((n) => <li key={n}>{n}</li>)}</ul></div>
        )}
      </div>
      {submitErrors.length > 0 && (
        <div role="alert" className="error-box" data-testid="submit-errors"><strong>Not created:</strong><ul>{submitErrors.map((e) => <li key={e}>{e}</li>)}</ul></div>
      )}
      {needsToken && <SessionUnlock onUnlocked={() => { setNeedsToken(false); setSubmitErrors([]); void create(); }} />}
      <button type="submit" className="primary" disabled={submitting}>{submitting ? 'Creating…' : 'Create sweep'}</button>
    </form>
  );
}

function clean(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return Object.keys(out).length ? out : undefined;
}
