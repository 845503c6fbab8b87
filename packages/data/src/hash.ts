import { createHash } from 'node:crypto';

/** Hex sha256 of a string or bytes: the content hash stored with user datasets. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A stable sort key for `id` under `seed`: the same on every machine and Node
 * version (unlike Math.random or engine-dependent hashing), so splits never move.
 */
export function seededKey(seed: string, id: string): string {
  return createHash('sha256').update(seed).update('\u0000').update(id).digest('hex');
}

/** Copy of `items` ordered by seededKey(seed, idOf(item)); ties are impossible in practice. */
export function seededOrder<T>(items: readonly T[], seed: string, idOf: (item: T) => string): T[] {
  const keyed = items.map((item) => ({ item, key: seededKey(seed, idOf(item)) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.item);
}
