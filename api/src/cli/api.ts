// `suture api`: the GraphQL API on its own, configured from the environment (see api/src/config.ts), as
// deployed behind a load balancer. The API is stateless (sessions, claims and work live in PostgreSQL),
// so it scales by running more of these. On these 2-core machines one process beside PostgreSQL claims
// faster than two (test/bench/results/claim.md).
import { jsonLogger, startApiFromEnv } from '../server.ts';

const log = jsonLogger('api');

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: suture api\n\nRuns the GraphQL API from the environment (DATABASE_URL, S3_*, TEMPORAL_ADDRESS, SUTURE_* ...; API_PORT 0 picks a free port).');
    return 0;
  }
  const api = await startApiFromEnv(process.env);
  // One JSON line once it listens: for people, and for programs that start it (the benchmark reads sutureApiUrl).
  log('info', 'api listening', { sutureApiUrl: api.url, graphql: `${api.url}/graphql` });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await api.close();
  return 0;
}
