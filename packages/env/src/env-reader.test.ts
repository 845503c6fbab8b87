import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envReader, optionalVar } from './index.js';

describe('envReader', () => {
  const read = envReader(z.object({ A: optionalVar, N: optionalVar.transform((v) => (v === undefined ? undefined : Number(v))) }));

  it('reads only its variables, blank as unset, trimmed', () => {
    expect(read({ A: '  x ', N: ' ', OTHER: 'y' })).toEqual({ A: 'x', N: undefined });
  });

  it('keeps the parsed result until one of its variables changes', () => {
    const first = read({ A: 'x', N: '2' });
    expect(read({ A: 'x', N: '2', OTHER: 'changed' })).toBe(first);
    expect(read({ A: 'x', N: '3' })).toEqual({ A: 'x', N: 3 });
  });

  it('throws the ZodError, or what onError makes of it', () => {
    const strict = envReader(z.object({ L: z.enum(['a', 'b']).optional() }), (e, values) => new RangeError(`L: ${JSON.stringify(values.L)} (${e.issues.length} issue)`));
    expect(() => strict({ L: 'c' })).toThrow(new RangeError('L: "c" (1 issue)'));
    expect(() => envReader(z.object({ L: z.enum(['a']) }))({})).toThrow(z.ZodError);
  });
});
