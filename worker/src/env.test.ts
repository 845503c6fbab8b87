import { describe, expect, it } from 'vitest';
import { childEnv, EnvironmentError, workerEnv } from './env.js';

describe('workerEnv', () => {
  it('reads the worker / CLI variables, blank as unset', () => {
    expect(workerEnv({ DATABASE_URL: 'postgresql://u:p@h:5/d', PEFT_LAB_HOME: ' /srv/peft ', PEFT_LAB_LOG_LEVEL: 'debug', PEFT_LAB_LOG_FILE: '' }))
      .toEqual({ DATABASE_URL: 'postgresql://u:p@h:5/d', PEFT_LAB_HOME: '/srv/peft', PEFT_LAB_LOG_LEVEL: 'debug', PEFT_LAB_LOG_FILE: undefined });
    expect(workerEnv({})).toEqual({ DATABASE_URL: undefined, PEFT_LAB_HOME: undefined, PEFT_LAB_LOG_LEVEL: undefined, PEFT_LAB_LOG_FILE: undefined });
  });

  it('is parsed once per environment: the same values give the same object, a change is seen', () => {
    const a = workerEnv({ PEFT_LAB_LOG_LEVEL: 'warn' });
    expect(workerEnv({ PEFT_LAB_LOG_LEVEL: 'warn', UNRELATED: 'x' })).toBe(a);
    expect(workerEnv({ PEFT_LAB_LOG_LEVEL: 'info' }).PEFT_LAB_LOG_LEVEL).toBe('info');
  });

  it('names a bad variable and the rule (bad input)', () => {
    const err = (() => { try { workerEnv({ PEFT_LAB_LOG_LEVEL: 'loud' }); } catch (e) { return e as EnvironmentError; } })()!;
    expect(err).toBeInstanceOf(EnvironmentError);
    expect(err.badInput).toBe(true);
    expect(err.lines).toEqual(['PEFT_LAB_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")']);
  });

  it("childEnv is this process's environment plus the given values", () => {
    const env = childEnv({ PEFT_LAB_HOME: '/x' });
    expect(env.PEFT_LAB_HOME).toBe('/x');
    expect(env.PATH).toBe(process.env.PATH);
  });
});
