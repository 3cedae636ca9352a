/** The PostgreSQL server the tests use: TEST_POSTGRES_URL, else the local server. */
export function adminPostgresUrl(): string {
  return process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
}

export function postgresUrlFor(database: string): string {
  const url = new URL(adminPostgresUrl());
  url.pathname = `/${database}`;
  return url.toString();
}
