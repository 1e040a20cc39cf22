import pg from 'pg';

/** The PostgreSQL and Redis the tests use (the machine's own; override with the variables). */
export const PG_URL = process.env.SEALPOST_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.SEALPOST_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/** Drops a per-test PostgreSQL schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}
