// The command line's session: `suture login` signs in and keeps the token in the user's config directory
// (mode 600), so that `upload` and `export` need no token on the command line; SUTURE_TOKEN overrides it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface CliSession {
  api: string;
  token: string;
  email: string;
  expiresAt: string;
}

export function sessionFile(env: Record<string, string | undefined> = process.env): string {
  return join(env.SUTURE_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'suture'), 'session.json');
}

export function saveSession(session: CliSession, env: Record<string, string | undefined> = process.env): string {
  const file = sessionFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(session, null, 2), { mode: 0o600 });
  return file;
}

export function loadSession(env: Record<string, string | undefined> = process.env): CliSession | null {
  const file = sessionFile(env);
  if (!existsSync(file)) return null;
  const s = JSON.parse(readFileSync(file, 'utf8')) as CliSession;
  return new Date(s.expiresAt).getTime() > Date.now() ? s : null;
}

export function clearSession(env: Record<string, string | undefined> = process.env): void {
  rmSync(sessionFile(env), { force: true });
}

/** The token and API to use: SUTURE_TOKEN (with --api or the default) or the saved session. */
export function resolveAuth(apiFlag: string | undefined, env: Record<string, string | undefined> = process.env): { api: string; token: string } | null {
  if (env.SUTURE_TOKEN) return { api: apiFlag ?? env.SUTURE_API ?? 'http://127.0.0.1:4000', token: env.SUTURE_TOKEN };
  const saved = loadSession(env);
  return saved ? { api: apiFlag ?? saved.api, token: saved.token } : null;
}

export const NOT_SIGNED_IN = 'not signed in: run `suture login --email YOU@EXAMPLE.ORG` (or set SUTURE_TOKEN to a session token)';
