// A real Temporal dev server for tests: the Temporal CLI binary started by the SDK's test environment
// on ephemeral ports, with an in-memory store. Never a download.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TestWorkflowEnvironment } from '@temporalio/testing';

export function temporalCliPath(): string {
  const candidates = [process.env.TEMPORAL_CLI, whichTemporal(), join(homedir(), '.cache', 'suture', 'bin', 'temporal')].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('Temporal CLI not found: run `bash scripts/ensure-temporal.sh` (builds it once with Go) or set TEMPORAL_CLI');
  return found;
}

function whichTemporal(): string | undefined {
  try {
    return execFileSync('which', ['temporal'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function startTestTemporal(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalCliPath() }, ip: '127.0.0.1', extraArgs: ['--log-level', 'error'] },
  });
}
