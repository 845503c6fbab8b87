import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportInputError, UnknownReportFormatError } from './errors.js';
import { escapeLatex } from './latex.js';
import { escapeMarkdownCell } from './markdown.js';
import { renderReport, reportFileName } from './render.js';
import { loadFixture } from './test-helpers.js';

const input = loadFixture('sweep');

function hasPdflatex(): boolean {
  try {
    execFileSync('pdflatex', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('LaTeX', () => {
  it('escapes every special character', () => {
    expect(escapeLatex('a & b % c $ d # e _ f { g } h ~ i ^ j \\ k')).toBe(
      'a \\& b \\% c \\$ d \\# e \\_ f \\{ g \\} h \\textasciitilde{} i \\textasciicircum{} j \\textbackslash{} k',
    );
    expect(escapeLatex('0.9 ± 0.1, Δ 2×')).toBe('0.9 $\\pm$ 0.1, $\\Delta$ 2$\\times$');
  });

  const tex = renderReport(loadFixture('sweep-missing'), 'tex');

  it('is a booktabs tabular with balanced braces and environments', () => {
    expect(tex).toMatch(/\\begin\{tabular\}\{.+\}\n\\toprule\n[^\n]+\\\\\n\\midrule\n/);
    expect(tex).toMatch(/\\bottomrule\n\\end\{tabular\}/);
    // Braces balance once escaped braces (\{ \}) are removed.
    const bare = tex.replace(/\\[{}]/g, '');
    let depth = 0;
    for (const ch of bare) {
      depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    const begins = [...tex.matchAll(/\\begin\{(\w+)\}/g)].map((m) => m[1]);
    const ends = [...tex.matchAll(/\\end\{(\w+)\}/g)].map((m) => m[1]);
    expect(ends.sort()).toEqual(begins.sort());
  });

  it('has ten cells in every row and no unescaped specials in the body', () => {
    const body = tex.split('\\midrule\n')[1].split('\\bottomrule')[0].trim().split('\n');
    const header = tex.split('\\toprule\n')[1].split('\n')[0];
    for (const row of [header, ...body]) {
      expect(row.endsWith('\\\\')).toBe(true);
      expect(row.replace(/\\&/g, '').split('&')).toHaveLength(10);
    }
    // The sweep name "gaps & failures_{test}" must come out escaped.
    expect(tex).toContain('gaps \\& failures\\_\\{test\\}');
    expect(tex.replace(/\\[%_#$&]/g, '')).not.toMatch(/[^\\\n]%[^\n]*\\\\$/m);
    expect(tex).not.toMatch(/[^\x00-\x7f]/);
  });

  it.skipIf(!hasPdflatex())('compiles with pdflatex', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-tex-'));
    writeFileSync(join(dir, 'doc.tex'), `\\documentclass{article}\\usepackage{booktabs}\\usepackage[margin=1cm,landscape]{geometry}\\begin{document}\n${tex}\\end{document}\n`);
    execFileSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'doc.tex'], { cwd: dir, stdio: 'ignore' });
  });
});

describe('Markdown', () => {
  it('escapes pipes inside cells', () => {
    expect(escapeMarkdownCell('a|b\nc')).toBe('a\\|b c');
  });
  it('keeps every table row at the header column count', () => {
    const md = renderReport(input, 'md');
    const tables = md.split('\n\n').filter((b) => b.startsWith('|'));
    // results, statuses, importance over all methods (the fixture's methods have too few trials each: a line, no table), history, claims
    expect(tables.length).toBe(5);
    for (const t of tables) {
      const lines = t.split('\n');
      const cols = (l: string) => l.replace(/\\\|/g, '').split('|').length;
      for (const l of lines) expect(cols(l)).toBe(cols(lines[0]));
    }
  });
});

describe('HTML', () => {
  const html = renderReport(input, 'html');
  it('requests nothing outside the file', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/@import|url\(/i);
    for (const m of html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/gi)) expect(m[1]).toMatch(/^(#|data:)/);
  });
  it('holds the sections and every chart', () => {
    for (const id of ['summary', 'results', 'charts', 'claims', 'missing']) expect(html).toContain(`<section id="${id}">`);
    for (const chart of ['pareto', 'learning-curve-eval-accuracy', 'learning-curve-train-loss', 'cost']) expect(html).toContain(`data-chart="${chart}"`);
    expect(html).toContain('class="mark front"');
    expect(html).toContain('class="mark reference"');
  });
  it('escapes user text', () => {
    const evil = structuredClone(input);
    evil.sweep.name = '<img src=x onerror=alert(1)>';
    const out = renderReport(evil, 'html');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;img src=x');
  });
  it('says which charts cannot be drawn instead of drawing empty ones', () => {
    const out = renderReport(loadFixture('sweep-missing'), 'html');
    expect(out).toContain('Not drawn: no trial has recorded metric series.');
    expect(out).toContain('Not drawn: no full fine-tuning baseline result');
    expect(out).toContain('data-chart="pareto"');
  });
});

describe('renderReport edges', () => {
  it('rejects bad input with the field path and value', () => {
    const bad = structuredClone(input) as unknown as { trials: { method: string; seed: unknown }[] };
    bad.trials[2].method = 'loraa';
    bad.trials[3].seed = 'one';
    try {
      renderReport(bad, 'md');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ReportInputError);
      const lines = (e as ReportInputError).lines.join('\n');
      expect(lines).toMatch(/trials\[2\]\.method: .*\(got "loraa"\)/);
      expect(lines).toMatch(/trials\[3\]\.seed: .*\(got "one"\)/);
    }
  });
  it('rejects an unknown format', () => {
    expect(() => renderReport(input, 'docx')).toThrow(UnknownReportFormatError);
    expect(() => renderReport(input, 'docx')).toThrow(/unknown report format "docx" \(expected one of csv, json, md, tex, html\)/);
  });
  it('accepts Date objects and an empty sweep', () => {
    const empty = { ...input, sweep: { ...input.sweep, createdAt: new Date('2026-11-20T08:59:00Z') }, trials: [] };
    for (const f of ['csv', 'json', 'md', 'tex', 'html']) expect(() => renderReport(empty, f)).not.toThrow();
    expect(renderReport(empty, 'md')).toContain('the sweep has no trials');
    expect(renderReport(empty, 'md')).toContain('2026-11-20T08:59:00.000Z');
  });
  it('JSON is versioned and carries trials, aggregates and claims', () => {
    const j = JSON.parse(renderReport(input, 'json'));
    expect(j.formatVersion).toBe(1);
    expect(j.trials).toHaveLength(input.trials.length);
    expect(j.methods.map((m: { method: string }) => m.method)).toEqual(['full', 'lora', 'adapter', 'prefix', 'prompt']);
    expect(j.claims).toHaveLength(10);
    expect(j.sweep.spec).toEqual(input.sweep.spec);
  });
  it('names files safely', () => {
    expect(reportFileName({ id: 'c0ffee00-1234', name: 'spam: PEFT vs full/FT' }, 'html')).toBe('peft-lab-spam-peft-vs-full-ft-c0ffee00.html');
    expect(reportFileName({ id: 'x', name: '***' }, 'pdf')).toBe('peft-lab-sweep-x.pdf');
  });
});
