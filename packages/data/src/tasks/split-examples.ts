import { seededOrder } from '../hash.js';
import type { SplitName, TaskExample, TaskSplits } from '../types.js';

/**
 * Groups examples by their split and orders each split by a seeded hash of the
 * example id, so that "the first N of a split" is a random yet stable subset.
 */
export function groupIntoSplits<E extends TaskExample>(
  examples: ReadonlyArray<{ split: SplitName; example: E }>,
  seed: string,
): TaskSplits<E> {
  const splits: TaskSplits<E> = { train: [], validation: [], test: [] };
  for (const { split, example } of examples) splits[split].push(example);
  return {
    train: seededOrder(splits.train, seed, (e) => e.id),
    validation: seededOrder(splits.validation, seed, (e) => e.id),
    test: seededOrder(splits.test, seed, (e) => e.id),
  };
}
