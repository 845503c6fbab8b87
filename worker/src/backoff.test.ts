import { describe, expect, it } from 'vitest';
import { isConnectionError, untilConnected } from './backoff.js';
import { RefusedRequestError } from './errors.js';
import { silentLogger } from './logger.js';

const socket = (code: string, message = `read ${code}`) => Object.assign(new Error(message), { code, errno: -104, syscall: 'read' });
const server = (code: string, message: string, severity = 'ERROR') => Object.assign(new Error(message), { code, severity });

describe('isConnectionError', () => {
  it('socket failures and connection SQLSTATEs are outages', () => {
    for (const e of [
      socket('ECONNRESET'), socket('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), new Error('Connection terminated unexpectedly'),
      server('57P01', 'terminating connection due to administrator command', 'FATAL'), server('57P03', 'the database system is starting up', 'FATAL'),
      server('08006', 'connection failure', 'FATAL'),
      Object.assign(new Error('Server has closed the connection.'), { code: 'P1017' }),
      Object.assign(new Error('driver adapter error'), { cause: { kind: 'ConnectionClosed' } }),
      new Error('store checkpoint failed', { cause: socket('EPIPE') }),
    ]) expect(isConnectionError(e), e.message).toBe(true);
  });

  it('an error the server sent is decided by its SQLSTATE, not its message: refused writes are not outages', () => {
    for (const e of [
      server('54000', 'invalid memory alloc request size 1610612736'),
      server('53200', 'out of memory'),
      server('XX000', 'terminating connection because of a bug, not really'), // message alone no longer decides
      server('23505', 'duplicate key value violates unique constraint'),
      Object.assign(new Error('driver adapter error'), { cause: { kind: 'postgres', code: '54000', severity: 'ERROR', message: 'total size of jsonb array elements exceeds the maximum' } }),
      new RefusedRequestError('store checkpoint', 3, socket('ECONNRESET')),
      new Error('disk read failed'),
    ]) expect(isConnectionError(e), e.message).toBe(false);
  });
});

describe('untilConnected', () => {
  const log = silentLogger();

  it('a request the server keeps dropping while it answers a probe fails as refused, not after two minutes', async () => {
    let calls = 0;
    const t0 = Date.now();
    const err = await untilConnected(log, 'store checkpoint', async () => { calls++; throw socket('ECONNRESET'); }, { giveUpMs: 120_000, probe: async () => 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(RefusedRequestError);
    expect(err.code).toBe('DB_REQUEST_REFUSED');
    expect(err.message).toMatch(/^store checkpoint: the database dropped the connection on this request 3 times while answering other queries \(read ECONNRESET\)/);
    expect(calls).toBe(3);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(isConnectionError(err)).toBe(false);
  });

  it('waits out an outage (the probe fails too) and succeeds once the server is back', async () => {
    let calls = 0;
    let up = false;
    const v = await untilConnected(log, 'x', async () => {
      calls++;
      if (calls === 4) up = true;
      if (!up) throw socket('ECONNREFUSED');
      return 'ok';
    }, { probe: async () => { if (!up) throw socket('ECONNREFUSED'); } });
    expect(v).toBe('ok');
    expect(calls).toBe(4);
  });

  it('a drop during a restart (probe succeeds once the server is back) is retried and succeeds', async () => {
    let calls = 0;
    const v = await untilConnected(log, 'x', async () => {
      if (++calls < 3) throw socket('ECONNRESET');
      return calls;
    }, { probe: async () => 1 });
    expect(v).toBe(3);
  });

  it('other errors are thrown at once', async () => {
    let calls = 0;
    await expect(untilConnected(log, 'x', async () => { calls++; throw server('54000', 'invalid memory alloc request size'); }, { probe: async () => 1 })).rejects.toThrow(/invalid memory alloc/);
    expect(calls).toBe(1);
  });
});
