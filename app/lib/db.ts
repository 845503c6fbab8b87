// The one database client of the app, for the API routes and the pages alike. connectDb()
// caches it on globalThis (so dev-mode hot reloads and every route share one pool);
// DATABASE_URL comes from the environment `peft-lab up` starts us with.
import { connectDb, type Db } from '@peft-lab/db';
import { appEnv } from './env';

export function getDb(): Db {
  const url = appEnv().DATABASE_URL;
  return connectDb(url ? { connection: url } : {});
}
