// `suture login [--api URL] --email EMAIL`: signs in (the password is read from standard input, never from the
// command line), and keeps the session for the other commands. `suture logout` ends it.
import { clearSession, loadSession, saveSession } from './session.ts';

async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  if (process.stdin.isTTY) {
    process.stderr.write('Password: ');
    process.stdin.setRawMode(true);
    return new Promise((resolve) => {
      let typed = '';
      const onData = (d: Buffer) => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            process.stdin.setRawMode(false);
            process.stdin.off('data', onData);
            process.stdin.pause();
            process.stderr.write('\n');
            resolve(typed);
            return;
          }
          if (ch === '\u0003') process.exit(130);
          typed = ch === '\u007f' ? typed.slice(0, -1) : typed + ch;
        }
      };
      process.stdin.on('data', onData);
      process.stdin.resume();
    });
  }
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function run(argv: string[]): Promise<number> {
  const args = [...argv];
  const take = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    return value;
  };
  if (args[0] === 'logout') {
    const saved = loadSession();
    if (saved) {
      await fetch(`${saved.api}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${saved.token}` },
        body: JSON.stringify({ query: 'mutation { logout }' }),
      }).catch(() => undefined);
    }
    clearSession();
    console.error('suture: signed out');
    return 0;
  }
  const api = (take('--api') ?? process.env.SUTURE_API ?? 'http://127.0.0.1:4000').replace(/\/$/, '');
  const email = take('--email');
  if (!email || args.length > 0) {
    console.error('usage: suture login [--api URL] --email EMAIL   (the password is read from standard input)\n       suture login logout');
    return 2;
  }
  const password = await readPassword();
  let res: Response;
  try {
    res = await fetch(`${api}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { __typename ... on Session { token expiresAt } ... on DomainError { code message } } }',
        variables: { e: email, p: password },
      }),
    });
  } catch (error) {
    console.error(`suture login: cannot reach ${api} (${(error as Error).message})`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as {
    data?: { login?: { token?: string; expiresAt?: string; code?: string; message?: string } };
    errors?: Array<{ message: string }>;
  };
  const login = body.data?.login;
  if (!login?.token || !login.expiresAt) {
    console.error(`suture login: ${login?.message ?? body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`}`);
    return 1;
  }
  const file = saveSession({ api, token: login.token, email, expiresAt: login.expiresAt });
  console.error(`suture: signed in as ${email} until ${login.expiresAt} (session kept in ${file})`);
  return 0;
}
