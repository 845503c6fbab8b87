// GET /api/health — 200 { ok, database: 'up' } when PostgreSQL answers, 503 otherwise.
import { pingDatabase } from '@peft-lab/db';
import { getDb } from '../../../lib/db';
import { json } from '../../../lib/responses';

export const dynamic = 'force-dynamic';

export async function GET(): Promise<Response> {
  if (await pingDatabase(getDb())) return json({ ok: true, database: 'up' });
  return json({ ok: false, database: 'down' }, { status: 503 });
}
