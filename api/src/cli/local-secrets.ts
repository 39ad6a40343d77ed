// Secrets of a local install (`suture up`): generated once per installation into <data dir>/secrets.json
// (mode 600), never a default in code. Other commands of the same install read them from there when the
// environment does not set them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The local install's data directory: SUTURE_DATA_DIR, or .data in the repository. */
export function localDataDir(env: Record<string, string | undefined>): string {
  return env.SUTURE_DATA_DIR ?? fileURLToPath(new URL('../../../.data', import.meta.url));
}

function read(dataDir: string): Record<string, string> {
  const file = join(dataDir, 'secrets.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

/** The named secret of this install, made the first time it is asked for. */
export function localSecret(dataDir: string, name: string): string {
  const secrets = read(dataDir);
  if (!secrets[name]) {
    secrets[name] = randomBytes(32).toString('base64url');
    writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets[name]!;
}

/** The named secret if this install has one; never creates it. */
export function existingLocalSecret(dataDir: string, name: string): string | undefined {
  return read(dataDir)[name];
}
