import { TokenizerError } from '../errors.js';
import type { BpeModel } from './bpe-trainer.js';
import { splitOnSpecials } from './bpe-trainer.js';
import { fromByteLevel, preTokenize, toByteLevel } from './byte-level.js';

/** The subset of a Hugging Face tokenizer.json this package writes and reads. */
export interface TokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: Array<{
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }>;
  normalizer: null;
  pre_tokenizer: { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  post_processor: { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  decoder: { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

export const END_OF_TEXT = '<|endoftext|>';
export const PAD = '<|pad|>';

/**
 * A GPT-2-style byte-level BPE tokenizer (no normalizer, no prefix space, no
 * unknown token). Encodes exactly like `@huggingface/tokenizers` loading the
 * tokenizer.json it writes; that equality is tested.
 */
export class ByteLevelBpeTokenizer {
  private readonly ranks: Map<string, number>;
  private readonly idToToken: string[];
  private readonly cache = new Map<string, number[]>();

  constructor(readonly model: BpeModel) {
    this.ranks = new Map(model.merges.map(([a, b], i) => [`${a} ${b}`, i]));
    this.idToToken = [];
    for (const [token, id] of model.vocab) this.idToToken[id] = token;
  }

  get vocabSize(): number {
    return this.model.vocab.size;
  }

  /** The id of a special token such as END_OF_TEXT or PAD. */
  specialTokenId(token: string): number {
    const id = this.model.specialTokens.includes(token) ? this.model.vocab.get(token) : undefined;
    if (id === undefined) throw new TokenizerError(`"${token}" is not a special token of this tokenizer (${this.model.specialTokens.join(', ')})`);
    return id;
  }

  /** Token ids of `text`; special-token strings inside it become their ids, as in Hugging Face. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of splitOnSpecials(text, this.model.specialTokens)) {
      if (this.model.specialTokens.includes(piece)) {
        ids.push(this.model.vocab.get(piece)!);
        continue;
      }
      for (const pretoken of preTokenize(piece)) ids.push(...this.encodePretoken(pretoken));
    }
    return ids;
  }

  decode(ids: readonly number[], { skipSpecialTokens = false } = {}): string {
    let out = '';
    let bytes = '';
    for (const id of ids) {
      const token = this.idToToken[id];
      if (token === undefined) throw new TokenizerError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      if (this.model.specialTokens.includes(token)) {
        out += fromByteLevel(bytes);
        bytes = '';
        if (!skipSpecialTokens) out += token;
      } else bytes += token;
    }
    return out + fromByteLevel(bytes);
  }

  private encodePretoken(pretoken: string): number[] {
    const cached = this.cache.get(pretoken);
    if (cached) return cached;
    // Standard BPE: repeatedly merge every occurrence of the lowest-ranked adjacent pair.
    let symbols = Array.from(toByteLevel(pretoken));
    for (;;) {
      let bestRank = Infinity;
      let bestPair = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const pair = `${symbols[i]} ${symbols[i + 1]}`;
        const rank = this.ranks.get(pair);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestPair = pair;
        }
      }
      if (bestRank === Infinity) break;
      const next: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && `${symbols[i]} ${symbols[i + 1]}` === bestPair) {
          next.push(symbols[i] + symbols[i + 1]);
          i++;
        } else next.push(symbols[i]);
      }
      symbols = next;
    }
    const ids = symbols.map((s) => this.model.vocab.get(s)!);
    if (this.cache.size < 100_000) this.cache.set(pretoken, ids);
    return ids;
  }

  /** The Hugging Face tokenizer.json (GPT-2 layout: ByteLevel pre-tokenizer, BPE model, ByteLevel decoder). */
  toTokenizerJson(): TokenizerJson {
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true } as const;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.model.specialTokens.map((content) => ({
        id: this.model.vocab.get(content)!,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: { ...byteLevel, trim_offsets: false },
      decoder: byteLevel,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(this.model.vocab),
        // "left right" strings: byte-level symbols never contain a space, and every tokenizers version reads this form.
        merges: this.model.merges.map(([a, b]) => `${a} ${b}`),
      },
    };
  }

  /** tokenizer_config.json for transformers / tokenizers.js (no BOS added, no clean-up of spaces on decode). */
  toTokenizerConfigJson(modelMaxLength = 1024): Record<string, unknown> {
    const eos = this.model.specialTokens.includes(END_OF_TEXT) ? END_OF_TEXT : null;
    const pad = this.model.specialTokens.includes(PAD) ? PAD : eos;
    return {
      tokenizer_class: 'GPT2Tokenizer',
      model_max_length: modelMaxLength,
      bos_token: eos,
      eos_token: eos,
      unk_token: eos,
      pad_token: pad,
      add_bos_token: false,
      add_prefix_space: false,
      clean_up_tokenization_spaces: false,
      added_tokens_decoder: Object.fromEntries(
        this.toTokenizerJson().added_tokens.map(({ id, ...rest }) => [String(id), rest]),
      ),
    };
  }

  /** Reads a tokenizer.json written by toTokenizerJson (or any byte-level BPE without normalizer). */
  static fromTokenizerJson(json: unknown): ByteLevelBpeTokenizer {
    const t = json as Partial<TokenizerJson>;
    if (t?.model?.type !== 'BPE' || t.pre_tokenizer?.type !== 'ByteLevel' || t.normalizer) {
      throw new TokenizerError('tokenizer.json must be a byte-level BPE (model.type "BPE", pre_tokenizer "ByteLevel", no normalizer)');
    }
    if (t.pre_tokenizer.add_prefix_space) throw new TokenizerError('tokenizer.json: pre_tokenizer.add_prefix_space true is not supported');
    const merges = (t.model.merges as Array<string | [string, string]>).map((m): [string, string] => {
      if (Array.isArray(m)) return m;
      const [a, b] = m.split(' ');
      return [a, b];
    });
    const vocab = new Map(Object.entries(t.model.vocab));
    const specialTokens = (t.added_tokens ?? []).filter((a) => a.special).map((a) => a.content);
    for (const a of t.added_tokens ?? []) vocab.set(a.content, a.id);
    return new ByteLevelBpeTokenizer({ vocab, merges, specialTokens });
  }
}
