import type { ReactNode } from 'react';

export const metadata = { title: 'PEFT Lab' };

// Placeholder: the pages engineer replaces this layout.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
