/**
 * GPT-2's byte-level alphabet: every byte maps to one printable Unicode
 * character (printable Latin-1 bytes map to themselves, the rest to U+0100…),
 * so any UTF-8 text becomes a string over 256 symbols with no unknown token.
 * Must match Hugging Face's `bytes_to_unicode` exactly for tokenizer.json parity.
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : next++);
  return table;
})();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** GPT-2's pre-tokenization pattern, as used by the Hugging Face ByteLevel pre-tokenizer. */
export const BYTE_LEVEL_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const encoder = new TextEncoder();

/** One pre-token's UTF-8 bytes as byte-level characters ("Hello" → "Hello", " é" → "ĠÃ©"). */
export function toByteLevel(pretoken: string): string {
  let out = '';
  for (const byte of encoder.encode(pretoken)) out += BYTE_TO_CHAR[byte];
  return out;
}

/** Splits text into pre-tokens (words with their leading space, digit runs, punctuation runs, whitespace). */
export function preTokenize(text: string): string[] {
  return text.match(BYTE_LEVEL_PATTERN) ?? [];
}

/** Inverse of toByteLevel over a whole token sequence. */
export function fromByteLevel(symbols: string): string {
  const bytes = new Uint8Array(symbols.length * 2);
  let n = 0;
  for (const ch of symbols) {
    const byte = CHAR_TO_BYTE.get(ch);
    if (byte !== undefined) bytes[n++] = byte;
  }
  return new TextDecoder().decode(bytes.subarray(0, n));
}
