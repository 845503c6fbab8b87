/**
 * The truncated normal distribution TPE's kernels use, ported from Optuna's
 * `optuna/samplers/_tpe/_truncnorm.py` (itself from SciPy) so that log-densities and samples
 * agree with Optuna's to ~1e-12: log-space tail handling (`logNdtr`), the log probability
 * mass of an interval (`logGaussMass`), the inverse CDF by Newton on log Φ (`ndtriExp`, `ppf`).
 * Scalars only: TPE evaluates one parameter of a few dozen candidates at a time.
 *
 * erf/erfc are FreeBSD's msun `s_erf.c` rational approximations (the coefficients Optuna's
 * `_erf.py` uses), so no platform libm is involved and every machine gives the same numbers.
 */

const ERX = 8.45062911510467529297e-1;
const EFX = 1.28379167095512586316e-1;
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const QQ = [1, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6];
const PA = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.16637559486879084300e-3];
const QA = [1, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2];
const RA = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592];
const SA = [1, 1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2];
const RB = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2];
const SB = [1, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1];

function poly(c: readonly number[], x: number): number {
  let r = 0;
  for (let i = c.length - 1; i >= 0; i--) r = r * x + c[i];
  return r;
}

/** erfc(x) for x ≥ 1.25 (s_erf.c's tail; the low-word split is skipped, as Optuna does). */
function erfcTail(x: number): number {
  if (x >= 28) return 0;
  const s = 1 / (x * x);
  const [r, q] = x < 1 / 0.35 ? [poly(RA, s), poly(SA, s)] : [poly(RB, s), poly(SB, s)];
  return Math.exp(-x * x - 0.5625 + r / q) / x;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let y: number;
  if (a < 2 ** -28) y = (1 + EFX) * a;
  else if (a < 0.84375) y = a + a * (poly(PP, a * a) / poly(QQ, a * a));
  else if (a < 1.25) y = ERX + poly(PA, a - 1) / poly(QA, a - 1);
  else if (a < 6) y = 1 - erfcTail(a);
  else y = 1;
  return x < 0 ? -y : y;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 0.84375) {
    const y = poly(PP, x * x) / poly(QQ, x * x);
    return x < 0.25 ? 1 - (x + x * y) : 0.5 - (x * y + (x - 0.5));
  }
  if (x < 1.25) return 1 - ERX - poly(PA, x - 1) / poly(QA, x - 1);
  return erfcTail(x);
}

const SQRT1_2 = Math.SQRT1_2;
const LOG_SQRT_2PI = Math.log(Math.sqrt(2 * Math.PI));
const NDTRI_EXP_APPROX_C = Math.sqrt(3) / Math.PI;

/** Φ(a), accurate in both tails (Optuna's `_ndtr_single`). */
export function ndtr(a: number): number {
  const x = a * SQRT1_2;
  if (x < -SQRT1_2) return 0.5 * erfc(-x);
  if (x < SQRT1_2) return 0.5 + 0.5 * erf(x);
  return 1 - 0.5 * erfc(x);
}

/** log Φ(a), with the asymptotic series below -20 (Optuna's `_log_ndtr_single`). */
export function logNdtr(a: number): number {
  if (a > 6) return -ndtr(-a);
  if (a > -20) return Math.log(ndtr(a));
  const logLhs = -0.5 * a * a - Math.log(-a) - 0.5 * Math.log(2 * Math.PI);
  let last = 0;
  let rhs = 1;
  let numerator = 1;
  let denomFactor = 1;
  const denomCons = 1 / (a * a);
  let sign = 1;
  for (let i = 1; Math.abs(last - rhs) > Number.EPSILON; i++) {
    last = rhs;
    sign = -sign;
    denomFactor *= denomCons;
    numerator *= 2 * i - 1;
    rhs += sign * numerator * denomFactor;
  }
  return logLhs + Math.log(rhs);
}

function logAddExp(p: number, q: number): number {
  if (p === -Infinity) return q;
  if (q === -Infinity) return p;
  const m = Math.max(p, q);
  return m + Math.log1p(Math.exp(-Math.abs(p - q)));
}

/** log(e^p − e^q) for p ≥ q. */
function logDiff(p: number, q: number): number {
  return p + Math.log1p(-Math.exp(q - p));
}

/** log of the standard normal's mass on [a, b], computed in the left tail for accuracy. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  // central: 1 − Φ(a) − Φ(−b) avoids the cancellation of summing two masses near 1
  return Math.log1p(-(0.5 + 0.5 * erf(a * SQRT1_2)) - (0.5 + 0.5 * erf(-b * SQRT1_2)));
}

/** x with log Φ(x) = y, by Newton from a tail / logistic first guess (Optuna's `_ndtri_exp`). */
export function ndtriExp(y: number): number {
  const flipped = y > -1e-2;
  const z = flipped ? Math.log(-Math.expm1(y)) : y;
  let x = z < -5 ? -Math.sqrt(-2 * (z + LOG_SQRT_2PI)) : -NDTRI_EXP_APPROX_C * Math.log(Math.expm1(-z));
  for (let i = 0; i < 100; i++) {
    const logNdtrX = logNdtr(x);
    const logPdfX = -0.5 * x * x - LOG_SQRT_2PI;
    const dx = (logNdtrX - z) * Math.exp(logNdtrX - logPdfX);
    x -= dx;
    if (Math.abs(dx) < 1e-8 * Math.abs(x)) break;
  }
  return flipped ? -x : x;
}

/** The quantile q of the standard normal truncated to [a, b]. */
export function ppf(q: number, a: number, b: number): number {
  if (a === b) return NaN;
  if (q === 0) return a;
  if (q === 1) return b;
  const logMass = logGaussMass(a, b);
  if (a < 0) return ndtriExp(logAddExp(logNdtr(a), Math.log(q) + logMass));
  return -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + logMass));
}

/** A draw from N(loc, scale²) truncated to [loc + a·scale, loc + b·scale], from a uniform quantile u. */
export function truncnormFromQuantile(u: number, a: number, b: number, loc: number, scale: number): number {
  return ppf(u, a, b) * scale + loc;
}

/** log density at x of N(loc, scale²) truncated to standardised bounds [a, b]. */
export function truncnormLogPdf(x: number, a: number, b: number, loc: number, scale: number): number {
  if (a === b) return NaN;
  const z = (x - loc) / scale;
  if (z < a || z > b) return -Infinity;
  return -(z * z) / 2 - LOG_SQRT_2PI - logGaussMass(a, b) - Math.log(scale);
}
