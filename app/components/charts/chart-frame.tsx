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
    // After paint: recharts has drawn its SVG by the next animation frame.
    const raf = requestAnimationFrame(() => ref.current?.setAttribute('data-chart-state', empty ? 'empty' : 'ready'));
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
