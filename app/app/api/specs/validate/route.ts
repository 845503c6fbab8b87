// POST /api/specs/validate — for the form: { ok, errors[], trialCount } (never stores anything).
// Body: a spec object, { yaml: "…" }, or raw YAML (content-type application/yaml).
// An invalid spec is a normal answer here (200 with ok: false); only an unreadable body is a 400.
import { countTrials } from '@peft-lab/sweeps';
import { json, route } from '../../../../lib/responses';
import { MAX_TRIALS_PER_SWEEP, readSpecBody } from '../../../../lib/spec-input';

export const dynamic = 'force-dynamic';

export const POST = route(async (request) => {
  try {
    const spec = await readSpecBody(request);
    const trialCount = countTrials(spec);
    const errors = trialCount > MAX_TRIALS_PER_SWEEP
      ? [`methods: the sweep expands to ${trialCount} trials; the API accepts at most ${MAX_TRIALS_PER_SWEEP}`]
      : [];
    return json({ ok: errors.length === 0, errors, trialCount, spec });
  } catch (err) {
    // Matched on `code`: production builds minify class names.
    const e = err as Error & { code?: string; lines?: string[] };
    if (e?.code === 'SPEC_INVALID' && Array.isArray(e.lines)) return json({ ok: false, errors: e.lines, trialCount: null });
    if (e?.code === 'SPEC_SYNTAX') return json({ ok: false, errors: [e.message], trialCount: null });
    throw err;
  }
});
