// Unit tests of the playground's hardening (app/lib/playground/): which Serve URLs the route
// lets its server fetch, and the idle stop of the serve processes the dashboard starts (a fake
// child process and fake timers: no server, no database).
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

class FakeChild extends EventEmitter {
  static started: FakeChild[] = [];
  readonly stdout = new EventEmitter();
  readonly stderr = new EventEmitter();
  readonly stdin = new EventEmitter();
  readonly pid = 4000 + FakeChild.started.length;
  readonly signals: string[] = [];
  constructor(readonly args: string[]) {
    super();
    FakeChild.started.push(this);
  }
  listen(): void {
    this.stderr.emit('data', Buffer.from(`peft-lab serve: builtin (/tmp/x) on http://127.0.0.1:${this.pid}\n`));
  }
  kill(signal: string): boolean {
    this.signals.push(signal);
    queueMicrotask(() => this.emit('exit', null, signal));
    return true;
  }
}

vi.mock('node:child_process', () => ({ spawn: (_file: string, args: string[]) => new FakeChild(args) }));

const { serveUrlProblem, isLocalHost } = await import('../app/lib/playground/serve-url');
const { ensureServe, runningServe, withServe, DEFAULT_IDLE_MINUTES } = await import('../app/lib/playground/serve-process');
const { appEnv } = await import('../app/lib/env');

describe('the Serve URL rule', () => {
  it('accepts loopback and private addresses, refuses public ones, link-local (cloud metadata) and names', () => {
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:3001/', 'https://[::1]:9000', 'http://10.1.2.3', 'http://172.16.0.5:80', 'http://172.31.255.1', 'http://192.168.1.20:8080', 'http://[fd12:3456::1]:8080', 'http://[::ffff:127.0.0.1]:8080', 'http://2130706433:8080']) {
      expect(serveUrlProblem(url, {}), url).toBeNull();
    }
    for (const url of ['http://example.com', 'https://8.8.8.8', 'http://169.254.169.254/latest/meta-data', 'http://172.32.0.1', 'http://[fe80::1]', 'http://[::ffff:169.254.169.254]', 'http://[2001:db8::1]', 'http://serve.internal:8080', 'http://localhost.evil.com']) {
      expect(serveUrlProblem(url, {}), url).toMatch(/^must be a loopback or private address/);
    }
    expect(serveUrlProblem('http://169.254.169.254/', {})).toContain('PEFT_LAB_PLAYGROUND_ANY_URL=1 allows any URL');
    expect(serveUrlProblem('file:///etc/passwd', {})).toMatch(/^must be an http\(s\) URL/);
    expect(isLocalHost('[::1]')).toBe(true);
    expect(isLocalHost('0.0.0.0')).toBe(false);
  });

  it('accepts PEFT_LAB_SERVE_URL\'s origin (not another port or scheme), and anything with PEFT_LAB_PLAYGROUND_ANY_URL=1', () => {
    const policy = { PEFT_LAB_SERVE_URL: 'https://serve.example.org:8443/base' };
    expect(serveUrlProblem('https://serve.example.org:8443/other', policy)).toBeNull();
    expect(serveUrlProblem('https://serve.example.org:9443/', policy)).toMatch(/or PEFT_LAB_SERVE_URL's origin https:\/\/serve\.example\.org:8443;/);
    expect(serveUrlProblem('http://serve.example.org:8443/', policy)).not.toBeNull();
    expect(serveUrlProblem('http://169.254.169.254/', { PEFT_LAB_PLAYGROUND_ANY_URL: true })).toBeNull();
    expect(serveUrlProblem('ftp://example.com/', { PEFT_LAB_PLAYGROUND_ANY_URL: true })).toMatch(/^must be an http\(s\) URL/);
  });

  it('reads PEFT_LAB_PLAYGROUND_ANY_URL and PEFT_LAB_PLAYGROUND_IDLE_MINUTES from the environment', () => {
    expect(appEnv({}).PEFT_LAB_PLAYGROUND_ANY_URL).toBe(false);
    expect(appEnv({ PEFT_LAB_PLAYGROUND_ANY_URL: '1' }).PEFT_LAB_PLAYGROUND_ANY_URL).toBe(true);
    expect(appEnv({ PEFT_LAB_PLAYGROUND_ANY_URL: '0' }).PEFT_LAB_PLAYGROUND_ANY_URL).toBe(false);
    expect(() => appEnv({ PEFT_LAB_PLAYGROUND_ANY_URL: 'yes' })).toThrow(/must be 0 or 1/);
    expect(appEnv({}).PEFT_LAB_PLAYGROUND_IDLE_MINUTES).toBe(DEFAULT_IDLE_MINUTES);
    expect(appEnv({ PEFT_LAB_PLAYGROUND_IDLE_MINUTES: '2.5' }).PEFT_LAB_PLAYGROUND_IDLE_MINUTES).toBe(2.5);
    expect(() => appEnv({ PEFT_LAB_PLAYGROUND_IDLE_MINUTES: '-1' })).toThrow(/minutes/);
  });
});

describe('the idle stop of dashboard-started serve processes', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeChild.started = [];
  });
  afterEach(() => vi.useRealTimers());

  /** A started server, listening. */
  async function started(sweepId: string, opts = {}) {
    const ready = ensureServe(sweepId, 'builtin', opts);
    FakeChild.started.at(-1)!.listen();
    return ready;
  }

  it('stops a server after 15 minutes without a request; a request before restarts the countdown; the next request starts a new one', async () => {
    const first = await started('s1');
    const child = FakeChild.started[0];
    expect(child.args).toEqual(expect.arrayContaining(['serve', '--sweep', 's1']));
    await vi.advanceTimersByTimeAsync(14 * 60_000);
    expect(await ensureServe('s1', 'builtin')).toBe(first); // the same server, countdown restarted
    await vi.advanceTimersByTimeAsync(14 * 60_000);
    expect(child.signals).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000 + 1);
    expect(child.signals).toEqual(['SIGTERM']);
    expect(runningServe('s1')).toBeUndefined();

    const again = ensureServe('s1', 'builtin');
    expect(FakeChild.started).toHaveLength(2);
    FakeChild.started[1].listen();
    expect((await again).pid).not.toBe(first.pid);
    await vi.advanceTimersByTimeAsync(15 * 60_000 + 1);
    expect(FakeChild.started[1].signals).toEqual(['SIGTERM']);
  });

  it('never stops a server while a request uses it; counts from when the request ends', async () => {
    await started('s2', { idleMinutes: 1 });
    let finish!: () => void;
    const request = withServe('s2', 'builtin', { idleMinutes: 1 }, (serve) => new Promise<string>((resolve) => { finish = () => resolve(serve.url); }));
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(FakeChild.started[0].signals).toEqual([]);
    finish();
    expect(await request).toBe(`http://127.0.0.1:${FakeChild.started[0].pid}`);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(FakeChild.started[0].signals).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_001);
    expect(FakeChild.started[0].signals).toEqual(['SIGTERM']);
  });

  it('idleMinutes 0: never stopped', async () => {
    await started('s3', { idleMinutes: 0 });
    await vi.advanceTimersByTimeAsync(24 * 60 * 60_000);
    expect(FakeChild.started[0].signals).toEqual([]);
    expect(runningServe('s3')).toBeDefined();
  });
});
