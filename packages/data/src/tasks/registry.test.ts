import { describe, expect, it } from 'vitest';
import { detokenizeBrown } from '../corpora/brown.js';
import { readSpamAssassin } from '../corpora/spam-assassin.js';
import { splitSentences } from '../corpora/text.js';
import { UnknownTaskError } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { pretrainCorpus } from '../pretrain-corpus.js';
import type { ClassificationExample, SplitName, TokenClassificationExample } from '../types.js';
import { SPLIT_NAMES } from '../types.js';
import { countLabels, describeTask } from './describe-task.js';
import { COARSE_TAGS } from './pos-tagset.js';
import { listTasks, loadTask } from './registry.js';

/*
 * Pinned split fingerprints: sha256 of each split's sorted example ids (first 16
 * hex digits). If one changes, every earlier result on that task is no longer
 * comparable: bump the task's seed version and say so in the README instead.
 */
const SPLIT_FINGERPRINTS: Record<string, Record<SplitName, string>> = {
  spam: { train: 'a168e4e4659c1408', validation: 'e33adff71aae5643', test: 'b85dc4e6105569a1' },
  genre: { train: '989428bb5e67aa22', validation: '27cf8aa20f764c26', test: '282debc87a913713' },
  pos: { train: 'dccafe24fcd2dd89', validation: 'c97657c6cf09d66c', test: '8cf9c01a4559cad7' },
  'sotu-era': { train: '7e1ec1784b2bea7e', validation: 'f35be5a0f3552898', test: '3df5e6fbb97df39d' },
  'sotu-party': { train: '9ff10f31b8537028', validation: '8d35ad9bf88526ac', test: '2dc532d17a6a34fb' },
  'lm-moby': { train: 'b32b291b1ac17167', validation: '35392da5d2a6d74f', test: '20a2ac20d3f7f360' },
};

const DOCUMENTED_LABEL_COUNTS: Record<string, Record<SplitName, Record<string, number>>> = {
  spam: { train: { ham: 3286, spam: 1213 }, validation: { ham: 411, spam: 152 }, test: { ham: 411, spam: 152 } },
  'sotu-party': {
    train: { democratic: 5170, republican: 4800 },
    validation: { democratic: 656, republican: 897 },
    test: { democratic: 553, republican: 845 },
  },
  'sotu-era': {
    train: { '1790-1860': 3342, '1861-1912': 3910, '1913-1945': 1191, '1946-1980': 1464, '1981-2021': 1673 },
    validation: { '1790-1860': 442, '1861-1912': 806, '1913-1945': 108, '1946-1980': 237, '1981-2021': 190 },
    test: { '1790-1860': 310, '1861-1912': 517, '1913-1945': 124, '1946-1980': 155, '1981-2021': 445 },
  },
};

/** "ca01:p3" → "ca01": the document a passage came from. */
const documentOf = (id: string) => id.split(':')[0];

describe('built-in tasks', () => {
  it('lists six tasks with kinds and metrics', () => {
    expect(listTasks().map((t) => `${t.name}:${t.kind}:${t.metric}`)).toEqual([
      'spam:sequence-classification:accuracy',
      'genre:sequence-classification:macro-f1',
      'pos:token-classification:token-accuracy',
      'sotu-era:sequence-classification:macro-f1',
      'sotu-party:sequence-classification:accuracy',
      'lm-moby:causal-lm:perplexity',
    ]);
  });

  for (const info of listTasks()) {
    describe(info.name, () => {
      it('has the documented sizes, disjoint splits and pinned split fingerprints', () => {
        const { splits, info: loaded } = loadTask(info.name);
        expect(loaded.sizes).toEqual(info.sizes);
        const fingerprints = Object.fromEntries(
          SPLIT_NAMES.map((s) => [s, sha256Hex(splits[s].map((e) => e.id).sort().join('\n')).slice(0, 16)]),
        );
        expect(fingerprints).toEqual(SPLIT_FINGERPRINTS[info.name]);
        const seen = new Map<string, SplitName>();
        for (const split of SPLIT_NAMES) {
          for (const example of splits[split]) {
            expect(seen.has(example.id)).toBe(false);
            seen.set(example.id, split);
          }
        }
        if (info.name !== 'spam') {
          // Passages of one document (file, speech, chapter) never straddle splits.
          const docSplit = new Map<string, SplitName>();
          for (const [id, split] of seen) {
            const doc = documentOf(id);
            expect(docSplit.get(doc) ?? split).toBe(split);
            docSplit.set(doc, split);
          }
        }
      });

      if (info.labels.length > 0) {
        it('uses exactly its label set, each label in every split', () => {
          const counts = countLabels(loadTask(info.name).splits);
          for (const split of SPLIT_NAMES) expect(Object.keys(counts[split]).sort()).toEqual([...info.labels].sort());
          const documented = DOCUMENTED_LABEL_COUNTS[info.name];
          if (documented) for (const split of SPLIT_NAMES) expect(counts[split]).toEqual(documented[split]);
        });
      }
    });
  }

  it('maxExamples takes a stable prefix of each split', () => {
    const small = loadTask('spam', { maxExamples: 10 });
    const full = loadTask('spam');
    expect(small.info.sizes).toEqual({ train: 10, validation: 10, test: 10 });
    expect(small.splits.train.map((e) => e.id)).toEqual(full.splits.train.slice(0, 10).map((e) => e.id));
    expect(() => loadTask('spam', { maxExamples: 0 })).toThrow(/maxExamples must be a positive integer, got 0/);
  });

  it('rejects an unknown task, naming the known ones', () => {
    expect(() => loadTask('imdb')).toThrow(UnknownTaskError);
    expect(() => loadTask('imdb')).toThrow('unknown task "imdb"; built-in tasks: spam, genre, pos, sotu-era, sotu-party, lm-moby');
  });

  it('strips every header from spam e-mails', () => {
    const raw = new Map(readSpamAssassin().map((m) => [m.id, m.raw]));
    const { splits } = loadTask('spam');
    const examples = SPLIT_NAMES.flatMap((s) => splits[s]) as ClassificationExample[];
    const leaks = examples.filter((example) => {
      const rawText = raw.get(example.id)!;
      // The first lines of the message's own header block (mbox From line, Return-Path, Received…).
      const ownHeaderStart = rawText.slice(0, rawText.indexOf('\n\n')).split('\n').slice(0, 3).join('\n');
      return example.text.includes(ownHeaderStart) || /^[A-Z][a-z]+(?:-[A-Za-z]+)*: /.test(example.text) || example.text.length > 2000;
    });
    expect(leaks.map((e) => e.id)).toEqual([]);
  });

  it('tags pos sentences with the 12 coarse tags only', () => {
    const { splits } = loadTask('pos');
    const allowed = new Set<string>(COARSE_TAGS);
    const bad = (SPLIT_NAMES.flatMap((s) => splits[s]) as TokenClassificationExample[]).filter(
      (e) => e.tags.length !== e.tokens.length || e.tags.some((t) => !allowed.has(t)),
    );
    expect(bad.map((e) => e.id)).toEqual([]);
    const first = (splits.train as TokenClassificationExample[]).find((e) => e.id === 'cb27:s107')!;
    expect(first.tags.slice(0, 4)).toEqual(['ADP', 'DET', 'ADJ', 'NOUN']);
  });

  it('describeTask shows sizes, label counts and three examples', () => {
    const text = describeTask('spam');
    expect(text).toContain('sizes: train 4499, validation 563, test 563');
    expect(text).toMatch(/ham\s+3286 \/ 411 \/ 411/);
    expect(text.split('\n').filter((l) => /^ {2}(easy|hard|spam)-/.test(l))).toHaveLength(3);
  });
});

describe('pretrainCorpus', () => {
  const docs = pretrainCorpus();

  it('holds the train documents of Brown and the addresses only', () => {
    const genre = loadTask('genre').splits;
    const era = loadTask('sotu-era').splits;
    const trainDocs = new Set([...genre.train, ...era.train].map((e) => documentOf(e.id)));
    const heldOutDocs = new Set(
      [...genre.validation, ...genre.test, ...era.validation, ...era.test].map((e) => documentOf(e.id)),
    );
    expect(new Set(docs.map((d) => d.id))).toEqual(trainDocs);
    for (const doc of docs) expect(heldOutDocs.has(doc.id)).toBe(false);
    const words = docs.reduce((n, d) => n + d.text.split(/\s+/).length, 0);
    expect(words).toBeGreaterThan(1_000_000);
  });

  it('contains no validation/test text of any task and no Moby Dick', () => {
    // Sentence-level membership (a substring search over 10 MB per passage is far too slow).
    const sentences = new Set(docs.flatMap((d) => splitSentences(d.text)));
    const longSentences = (text: string) => splitSentences(text).filter((s) => s.length >= 60);
    const found = (texts: string[]) => texts.flatMap(longSentences).filter((s) => sentences.has(s));
    const textsOf = (name: string, split: SplitName) => loadTask(name).splits[split].map((e) =>
      'tokens' in e ? detokenizeBrown(e.tokens) : e.text);
    for (const name of ['genre', 'pos', 'sotu-era', 'sotu-party']) {
      expect(found([...textsOf(name, 'validation'), ...textsOf(name, 'test')])).toEqual([]);
      // Positive control: the same check finds most train sentences, so it can fail.
      const train = textsOf(name, 'train').slice(0, 200);
      expect(found(train).length).toBeGreaterThan(0.5 * train.flatMap(longSentences).length);
    }
    for (const split of SPLIT_NAMES) expect(found(textsOf('lm-moby', split))).toEqual([]);
    expect(docs.some((d) => d.text.includes('Call me Ishmael'))).toBe(false);
  });
});
