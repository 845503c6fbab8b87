import { describe, expect, it } from 'vitest';
import { emailBody } from './spam-assassin.js';

const RAW = [
  'From someone@example.com  Thu Aug 22 13:17:22 2002',
  'Return-Path: <someone@example.com>',
  'Received: from mail.example.com',
  '\tby relay.example.com with ESMTP id 1',
  'Subject: Cheap meds',
  'Content-Type: multipart/alternative; boundary="XYZ"',
  '',
  '--XYZ',
  'Content-Type: text/html; charset="iso-8859-1"',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<html><body><p>Buy <b>now</b> &amp; sa=',
  've 50%!</p><!-- hidden --></body></html>',
  '--XYZ',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  '',
  'UEsDBBQAAAAIAAAAIQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  '--XYZ--',
].join('\n');

describe('emailBody', () => {
  it('keeps the readable body only: no headers, MIME parts, HTML or base64', () => {
    expect(emailBody(RAW)).toBe('Buy now & save 50%!');
  });

  it('truncates to maxChars', () => {
    expect(emailBody('Subject: x\n\n' + 'word '.repeat(100), 20)).toHaveLength(20);
  });

  it('returns an empty body for a message that is all headers', () => {
    expect(emailBody('Subject: x\nFrom: y')).toBe('');
  });
});
