// The pages' database client: the same process-wide one the API routes use
// (connectDb caches it on globalThis keyed by DATABASE_URL).
import { connectDb, type Db } from '@peft-lab/db';

export function getDb(): Db {
  return connectDb();
}
