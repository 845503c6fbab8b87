import type { ReactNode } from 'react';
import Link from 'next/link';
import './globals.css';

export const metadata = { title: { default: 'PEFT Lab', template: '%s · PEFT Lab' }, description: 'Parameter-efficient fine-tuning sweeps' };
export const viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">Skip to content</a>
        <header className="site-header">
          <Link href="/" className="brand">PEFT Lab</Link>
          <nav aria-label="Main">
            <ul>
              <li><Link href="/">Sweeps</Link></li>
              <li><Link href="/sweeps/new">New sweep</Link></li>
              <li><Link href="/compare">Compare</Link></li>
            </ul>
          </nav>
        </header>
        <main id="main" tabIndex={-1}>{children}</main>
      </body>
    </html>
  );
}
