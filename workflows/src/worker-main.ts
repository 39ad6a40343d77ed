// `suture worker` entry: runs the lifecycle worker from the environment until SIGINT/SIGTERM.
import { runWorkerFromEnv } from './worker.ts';

try {
  await runWorkerFromEnv(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
