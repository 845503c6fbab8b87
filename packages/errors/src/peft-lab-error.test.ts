import { describe, expect, it } from 'vitest';
import { PeftLabError, isPeftLabError } from './index.js';

class WidgetMissingError extends PeftLabError {
  readonly badInput = true;
  constructor(readonly widget: string) {
    super('WIDGET_MISSING', `widget ${JSON.stringify(widget)} not found`);
  }
}

describe('PeftLabError', () => {
  it('keeps code, message, cause, and names itself after the subclass', () => {
    const cause = new Error('disk gone');
    const e = new PeftLabError('DISK', 'could not read /x', { cause });
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.message, e.name, e.cause]).toEqual(['DISK', 'could not read /x', 'PeftLabError', cause]);
    expect(e.badInput).toBeUndefined();

    const w = new WidgetMissingError('gear');
    expect([w.code, w.message, w.name, w.badInput, w.widget]).toEqual(['WIDGET_MISSING', 'widget "gear" not found', 'WidgetMissingError', true, 'gear']);
    expect(w.cause).toBeUndefined();
  });

  it('keeps the brand out of own keys (JSON, toEqual)', () => {
    const e = new PeftLabError('X', 'm');
    expect(Object.getOwnPropertySymbols(e)).toEqual([]);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'X', name: 'PeftLabError' });
  });
});

describe('isPeftLabError', () => {
  it('accepts instances and subclasses, rejects look-alikes without the brand', () => {
    expect(isPeftLabError(new WidgetMissingError('a'))).toBe(true);
    expect(isPeftLabError(new Error('x'))).toBe(false);
    // A Node system error also has an UPPER_SNAKE code: it is not ours.
    expect(isPeftLabError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isPeftLabError({ code: 'NOT_FOUND', name: 'NotFoundError', message: 'm' })).toBe(false);
    expect(isPeftLabError(null)).toBe(false);
    expect(isPeftLabError('NOT_FOUND')).toBe(false);
  });

  it('accepts an error from a second copy of the class (another bundle) whose name was minified', () => {
    // What a second bundled copy of this module produces: a different class, same brand.
    const brand = Symbol.for('@peft-lab/errors.PeftLabError');
    class Copy extends Error {
      readonly code = 'SPEC_INVALID';
    }
    Object.defineProperty(Copy.prototype, brand, { value: true });
    const e = new Copy('bad spec');
    e.name = 'a';
    expect(e).not.toBeInstanceOf(PeftLabError);
    expect(isPeftLabError(e)).toBe(true);
  });
});
