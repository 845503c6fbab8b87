import { emailBody, readSpamAssassin } from '../corpora/spam-assassin.js';
import { stratifiedSplit } from '../split.js';
import type { ClassificationExample, TaskSplits } from '../types.js';
import { splitOf } from './held-out-units.js';
import { groupIntoSplits } from './split-examples.js';

const SEED = 'peft-lab/spam/v1';
/** Cleaned bodies shorter than this are attachments-only or empty messages. */
const MIN_BODY_CHARS = 20;

/**
 * SpamAssassin: label `ham` (easy-ham-*, hard-ham-*) or `spam`; text = the body
 * with headers stripped (emailBody). Exact duplicate bodies keep their first
 * message only (by file order), so no text is in two splits.
 */
export function buildSpamSplits(): TaskSplits<ClassificationExample> {
  const seen = new Set<string>();
  const examples: ClassificationExample[] = [];
  for (const message of readSpamAssassin()) {
    const text = emailBody(message.raw);
    if (text.length < MIN_BODY_CHARS || seen.has(text)) continue;
    seen.add(text);
    examples.push({ id: message.id, text, label: message.group.startsWith('spam') ? 'spam' : 'ham' });
  }
  const assignment = stratifiedSplit(examples.map((e) => ({ id: e.id, stratum: e.label })), SEED);
  return groupIntoSplits(examples.map((example) => ({ split: splitOf(assignment, example.id), example })), SEED);
}
