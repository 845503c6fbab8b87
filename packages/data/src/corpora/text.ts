/**
 * Splits prose into sentences at . ! ? (optionally followed by closing quotes or
 * brackets) before whitespace and an upper-case letter, digit or opening quote.
 * Good enough for packing passages; not a linguistic sentence splitter.
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?]["'\u201d\u2019)\]]*)\s+(?=["'\u201c\u2018(\[]*[A-Z0-9])/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Greedily packs consecutive sentences into passages of at least `minChars`
 * characters (a trailing short remainder joins the previous passage).
 */
export function packSentences(sentences: readonly string[], minChars: number): string[] {
  const passages: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const sentence of sentences) {
    current.push(sentence);
    length += sentence.length + 1;
    if (length >= minChars) {
      passages.push(current.join(' '));
      current = [];
      length = 0;
    }
  }
  if (current.length > 0) {
    if (passages.length > 0 && length < minChars / 2) passages[passages.length - 1] += ' ' + current.join(' ');
    else passages.push(current.join(' '));
  }
  return passages;
}
