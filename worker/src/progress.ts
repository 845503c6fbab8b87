// One progress line per running trial. On a TTY the lines are redrawn in place
// (one block, updated ~4×/s); otherwise a plain line per trial every few seconds,
// so logs of a headless run stay readable.

export interface TrialProgress {
  trialId: string;
  label: string;
  step: number;
  total: number | null;
  loss?: number;
  metric?: { name: string; value: number };
  tokensPerSec?: number;
}

export type ProgressMode = 'tty' | 'plain' | 'off';

export class ProgressBoard {
  private readonly rows = new Map<string, TrialProgress>();
  private readonly lastPlain = new Map<string, number>();
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly mode: ProgressMode,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly plainEveryMs = 5_000,
  ) {
    if (mode === 'tty') {
      this.timer = setInterval(() => this.draw(), 250);
      this.timer.unref();
    }
  }

  static auto(): ProgressBoard {
    return new ProgressBoard(process.stdout.isTTY ? 'tty' : 'plain');
  }

  update(p: TrialProgress): void {
    this.rows.set(p.trialId, { ...this.rows.get(p.trialId), ...p });
    if (this.mode === 'plain') {
      const now = Date.now();
      const last = this.lastPlain.get(p.trialId) ?? 0;
      if (now - last >= this.plainEveryMs || (p.total !== null && p.step === p.total)) {
        this.lastPlain.set(p.trialId, now);
        this.out.write(`${formatLine(this.rows.get(p.trialId)!)}\n`);
      }
    }
  }

  /** A trial finished: print its final line once and drop it from the board. */
  finish(trialId: string, outcome: string): void {
    const row = this.rows.get(trialId);
    this.rows.delete(trialId);
    this.lastPlain.delete(trialId);
    if (this.mode === 'off' || !row) return;
    this.clear();
    this.out.write(`${formatLine(row)} → ${outcome}\n`);
    this.draw();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  private clear(): void {
    if (this.mode !== 'tty' || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (this.mode !== 'tty') return;
    this.clear();
    const lines = [...this.rows.values()].map(formatLine);
    if (lines.length) this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

export function formatLine(p: TrialProgress): string {
  const total = p.total ?? 0;
  const width = 20;
  const filled = total > 0 ? Math.min(width, Math.round((p.step / total) * width)) : 0;
  const bar = total > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
  const parts = [`${p.label} ${bar}step ${p.step}${total ? `/${total}` : ''}`];
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.metric) parts.push(`${p.metric.name} ${p.metric.value.toFixed(4)}`);
  if (p.tokensPerSec !== undefined) parts.push(`${Math.round(p.tokensPerSec)} tok/s`);
  return parts.join('  ');
}
