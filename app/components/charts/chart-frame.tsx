'use client';
// The box every chart sits in: a heading, what the numbers come from (backend),
// and an empty state that says why there is nothing to draw. It marks itself
// data-chart-state="ready|empty" once mounted, which tests and the bench wait for.
import { useEffect, useRef, type ReactNode } from 'react';

export interface ChartFrameProps {
  id: string;
  title: string;
  /** One line under the title: what is plotted, in which units. */
  caption?: string;
  /** e.g. "Measured on backend: tensorflow". */
  source?: string;
  /** When set, the chart is not drawn and this sentence says why. */
  empty?: string | null;
  children: ReactNode;
}

export function ChartFrame({ id, title, caption, source, empty, children }: ChartFrameProps) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    // "ready" once every responsive container has measured itself and drawn its SVG
    // (recharts draws a frame or two after mount) and every scale-drawn layer has drawn;
    // checked once per animation frame.
    let raf = 0;
    let frames = 0;
    const check = () => {
      const el = ref.current;
      if (!el) return;
      // A layer drawn from the chart's scales marks itself data-drawing until the scales exist.
      const pending = Array.from(el.querySelectorAll('.recharts-responsive-container')).some((c) => !c.querySelector('svg')) || !!el.querySelector('[data-drawing]');
      if (empty || !pending || ++frames > 600) el.setAttribute('data-chart-state', empty ? 'empty' : 'ready');
      else raf = requestAnimationFrame(check);
    };
    ref.current?.removeAttribute('data-chart-state');
    raf = requestAnimationFrame(check);
    return () => cancelAnimationFrame(raf);
  }, [empty]);
  return (
    <section ref={ref} className="chart" data-chart={id} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{title}</h3>
      {caption && <p className="chart-caption">{caption}</p>}
      {empty ? <p className="chart-empty" role="note">{empty}</p> : <div className="chart-body">{children}</div>}
      {source && <p className="chart-source">{source}</p>}
    </section>
  );
}
