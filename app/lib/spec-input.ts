// A sweep spec from a request: JSON spec, `{ yaml: "…" }`, or a raw YAML body
// (content-type application/yaml or text/yaml). Validation is @peft-lab/sweeps'.
import { countTrials, parseSweepSpec, validateSweepSpec, type SweepSpec } from '@peft-lab/sweeps';
import { readBodyText, readJsonBody } from './body';
import { BadRequestError } from './errors';

/** The API refuses to materialise more trials than this in one request (a huge grid would exhaust memory first). */
export const MAX_TRIALS_PER_SWEEP = 20_000;

function isYamlType(request: Request): boolean {
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  return type.includes('yaml');
}

/**
 * The validated spec of a request body.
 * @throws BadRequestError (body not JSON, not an object), SpecSyntaxError, SpecValidationError
 */
export async function readSpecBody(request: Request): Promise<SweepSpec> {
  if (isYamlType(request)) return parseSweepSpec(await readBodyText(request), 'yaml');
  return specFromJson(await readJsonBody(request));
}

/** A parsed JSON body → validated spec (`{ yaml }` wrapper or the spec itself). */
export function specFromJson(body: unknown): SweepSpec {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestError([`body: must be a sweep spec object or { "yaml": "…" } (got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body})`]);
  }
  const obj = body as Record<string, unknown>;
  if ('yaml' in obj) {
    if (typeof obj.yaml !== 'string') throw new BadRequestError([`yaml: must be a string of YAML (got ${typeof obj.yaml})`]);
    const extra = Object.keys(obj).filter((k) => k !== 'yaml');
    if (extra.length) throw new BadRequestError(extra.map((k) => `${k}: not allowed beside yaml`));
    return parseSweepSpec(obj.yaml, 'yaml');
  }
  return validateSweepSpec(obj);
}

/** Trial count of a valid spec, refusing sweeps too big for one request. @throws BadRequestError */
export function checkedTrialCount(spec: SweepSpec): number {
  const n = countTrials(spec);
  if (n > MAX_TRIALS_PER_SWEEP) {
    throw new BadRequestError([`methods: the sweep expands to ${n} trials; the API accepts at most ${MAX_TRIALS_PER_SWEEP} (narrow the space or use strategy random with a count)`]);
  }
  return n;
}
