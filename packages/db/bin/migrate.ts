// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL (idempotent).
import { applyMigrations } from '../src/migrate';

const result = await applyMigrations();
console.log(JSON.stringify(result));
