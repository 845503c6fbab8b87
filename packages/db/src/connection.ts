// Connection fields ↔ URL. Discrete fields are what pg and the Prisma adapter want
// (a connection string makes the adapter's shadow database point at the main one).
import { dbEnv } from './env';
import { InvalidArgumentError } from './errors';

export interface ConnectionFields {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function parseDatabaseUrl(url: string): ConnectionFields {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError('DATABASE_URL', redactUrl(url), 'not a URL');
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw new InvalidArgumentError('DATABASE_URL', redactUrl(url), 'protocol must be postgresql://');
  }
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
  };
}

export function toDatabaseUrl(c: ConnectionFields): string {
  const auth = `${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}`;
  return `postgresql://${auth}@${c.host}:${c.port}/${encodeURIComponent(c.database)}`;
}

/** Fields from an explicit value, else DATABASE_URL, else PGHOST/PGPORT/… */
export function resolveConnection(conn?: ConnectionFields | string): ConnectionFields {
  if (typeof conn === 'string') return parseDatabaseUrl(conn);
  if (conn) return conn;
  const env = dbEnv();
  if (env.DATABASE_URL) return parseDatabaseUrl(env.DATABASE_URL);
  if (env.PGHOST || env.PGPORT) {
    return {
      host: env.PGHOST ?? '127.0.0.1',
      port: Number(env.PGPORT ?? 5432),
      user: env.PGUSER ?? 'postgres',
      password: env.PGPASSWORD ?? '',
      database: env.PGDATABASE ?? 'postgres',
    };
  }
  throw new InvalidArgumentError('DATABASE_URL', undefined, 'not set (and no PGHOST/PGPORT); start the embedded server or point it at PostgreSQL');
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
