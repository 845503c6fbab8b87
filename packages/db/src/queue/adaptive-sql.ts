// SQL fragments over a sweep row aliased `s`: which sweeps are adaptive and their budget.
// The stored spec is the parsed one (submitSweep), so strategy.type is always present.

/** The sweep row `s` is adaptive (strategy tpe: its trials are suggested one at a time). */
export const SWEEP_IS_ADAPTIVE = `COALESCE(s."spec" -> 'strategy' ->> 'type' = 'tpe', false)`;
/** The adaptive sweep `s`'s budget.maxTrials (validation makes it required for tpe). */
export const SWEEP_MAX_TRIALS = `COALESCE((s."spec" -> 'budget' ->> 'maxTrials')::int, 0)`;
