/**
 * The coarse tag set of the `pos` task: the 12 tags of Petrov, Das & McDonald's
 * universal tagset (2012). Brown's 87 base tags map onto it as below, in the
 * spirit of NLTK's `en-brown.map`.
 */
export const COARSE_TAGS = ['NOUN', 'VERB', 'ADJ', 'ADV', 'PRON', 'DET', 'ADP', 'NUM', 'CONJ', 'PRT', '.', 'X'] as const;
export type CoarseTag = (typeof COARSE_TAGS)[number];

/** Brown base tag (lower case, after the rules in `brownToCoarse`) → coarse tag. */
export const BROWN_TO_COARSE: Readonly<Record<string, CoarseTag>> = {
  // nouns, proper nouns, adverbial nouns (home, west, Monday)
  nn: 'NOUN', nns: 'NOUN', np: 'NOUN', nps: 'NOUN', nr: 'NOUN', nrs: 'NOUN',
  // lexical verbs, modals and the forms of be / do / have
  vb: 'VERB', vbd: 'VERB', vbg: 'VERB', vbn: 'VERB', vbz: 'VERB', md: 'VERB',
  be: 'VERB', bed: 'VERB', bedz: 'VERB', beg: 'VERB', bem: 'VERB', ben: 'VERB', ber: 'VERB', bez: 'VERB',
  do: 'VERB', dod: 'VERB', doz: 'VERB', hv: 'VERB', hvd: 'VERB', hvg: 'VERB', hvn: 'VERB', hvz: 'VERB',
  // adjectives and ordinals
  jj: 'ADJ', jjr: 'ADJ', jjs: 'ADJ', jjt: 'ADJ', od: 'ADJ',
  // adverbs, qualifiers (very, too), wh-adverbs, negation (not, n't: Brown tag *)
  rb: 'ADV', rbr: 'ADV', rbt: 'ADV', rn: 'ADV', ql: 'ADV', qlp: 'ADV', wql: 'ADV', wrb: 'ADV', abl: 'ADV', '*': 'ADV',
  // personal, reflexive, indefinite and wh-pronouns
  pn: 'PRON', ppl: 'PRON', ppls: 'PRON', ppo: 'PRON', pps: 'PRON', ppss: 'PRON', 'pp$$': 'PRON',
  wpo: 'PRON', wps: 'PRON', 'wp$': 'PRON',
  // articles, determiners, pre-quantifiers, possessive determiners (my, their), existential there
  at: 'DET', ap: 'DET', abn: 'DET', abx: 'DET', dt: 'DET', dti: 'DET', dts: 'DET', dtx: 'DET', wdt: 'DET',
  'pp$': 'DET', ex: 'DET',
  in: 'ADP',
  cd: 'NUM',
  cc: 'CONJ', cs: 'CONJ',
  // particles and infinitival to
  rp: 'PRT', to: 'PRT',
  '.': '.', ',': '.', ':': '.', '(': '.', ')': '.', '--': '.', '``': '.', "''": '.', "'": '.',
  // interjections, untagged tokens
  uh: 'X', nil: 'X',
};

/**
 * Maps one Brown tag to the coarse set. Rules, in order: drop the -tl (title),
 * -hl (headline) and -nc (cited) suffixes; foreign words (fw-…) are X; a
 * contraction tag (pps+bez) takes its first part; then the exact table entry,
 * else strip a trailing negation '*' (doz* → doz) and a possessive '$'
 * (nn$ → nn). Returns undefined for a tag the table does not cover.
 */
export function brownToCoarse(brownTag: string): CoarseTag | undefined {
  let tag = brownTag.toLowerCase().replace(/-(tl|hl|nc)\b/g, '');
  if (tag.startsWith('fw-')) return 'X';
  tag = tag.split('+')[0];
  const exact = BROWN_TO_COARSE[tag];
  if (exact) return exact;
  if (tag.length > 1 && tag.endsWith('*')) tag = tag.slice(0, -1);
  if (tag.length > 1 && tag.endsWith('$')) tag = tag.slice(0, -1);
  return BROWN_TO_COARSE[tag];
}
