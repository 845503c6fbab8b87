// Which servers the playground form may name (its "Serve URL" field): the dashboard's server makes
// the requests, so an arbitrary URL would let anyone who can reach the dashboard make it fetch any
// address it can reach (a cloud metadata endpoint, an intranet page). A form-given URL is accepted
// only when its host is a loopback or private address written as such (no name to resolve: a DNS
// name could point anywhere, and change between the check and the fetch), `localhost`, or it has
// PEFT_LAB_SERVE_URL's origin; PEFT_LAB_PLAYGROUND_ANY_URL=1 lifts the rule.
import { isIPv4, isIPv6 } from 'node:net';

export interface ServeUrlPolicy {
  /** The configured server (its origin is always allowed). */
  PEFT_LAB_SERVE_URL?: string;
  /** Any http(s) URL is allowed. */
  PEFT_LAB_PLAYGROUND_ANY_URL?: boolean;
}

function v4Octets(host: string): number[] | null {
  return isIPv4(host) ? host.split('.').map(Number) : null;
}

/** Loopback 127/8, private 10/8, 172.16/12, 192.168/16 (link-local 169.254/16, with cloud metadata, is neither). */
function v4Allowed([a, b]: number[]): boolean {
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** The 8 hextets of an IPv6 address (the URL parser writes an embedded IPv4 in hex already). */
function v6Hextets(host: string): number[] | null {
  if (!isIPv6(host)) return null;
  let h = host;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    h = `${h.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = h.includes('::') ? h.split('::') : [h, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  const parts = [...left, ...fill, ...right].map((x) => parseInt(x, 16));
  return parts.length === 8 && parts.every((x) => Number.isInteger(x)) ? parts : null;
}

/** ::1, unique local fc00::/7, and an IPv4-mapped ::ffff:a.b.c.d that is allowed as IPv4. */
function v6Allowed(h: number[]): boolean {
  if (h.slice(0, 7).every((x) => x === 0) && h[7] === 1) return true;
  if ((h[0] & 0xfe00) === 0xfc00) return true;
  if (h.slice(0, 5).every((x) => x === 0) && h[5] === 0xffff) return v4Allowed([h[6] >> 8, h[6] & 0xff]);
  return false;
}

/** Whether a URL's host is loopback or private (as the URL parser normalised it: `[::1]`, `127.0.0.1`). */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  const v4 = v4Octets(host);
  if (v4) return v4Allowed(v4);
  const v6 = v6Hextets(host);
  return v6 !== null && v6Allowed(v6);
}

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * Why the playground must not call `url` (the form's Serve URL), or null when it may.
 * @example
 * serveUrlProblem('http://127.0.0.1:8080', {});        // null
 * serveUrlProblem('http://169.254.169.254/', {});      // 'must be a loopback or private address …'
 */
export function serveUrlProblem(url: string, policy: ServeUrlPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `must be an http(s) URL (got ${JSON.stringify(url)})`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must be an http(s) URL (got ${JSON.stringify(url)})`;
  if (policy.PEFT_LAB_PLAYGROUND_ANY_URL) return null;
  if (isLocalHost(parsed.hostname)) return null;
  const configured = originOf(policy.PEFT_LAB_SERVE_URL);
  if (configured !== null && parsed.origin === configured) return null;
  return `must be a loopback or private address (localhost, 127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7)${configured ? ` or PEFT_LAB_SERVE_URL's origin ${configured}` : ''}; the dashboard's server would fetch it (PEFT_LAB_PLAYGROUND_ANY_URL=1 allows any URL) (got ${parsed.origin})`;
}
