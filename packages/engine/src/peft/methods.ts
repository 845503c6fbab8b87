/**
 * Registers every method's runtime (`registerPeftMethod` in each `peft/<method>/index.ts`) with
 * `attachPeft`. The TF-free declarations are listed in `declarations.ts`, in the same order; a new
 * method adds one line there and one import here (`method-registry.test.ts` checks both lists agree).
 */
import './full/index.js';
import './lora/index.js';
import './adapter/index.js';
import './prefix/index.js';
import './prompt/index.js';
import './ia3/index.js';
