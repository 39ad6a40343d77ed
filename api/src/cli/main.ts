// `pnpm suture <command>`: the one command-line entry point. Each command group lives in its own module.
const groups: Record<string, { describe: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  up: { describe: 'start the whole stack (PostgreSQL db, Temporal, S3, API, worker, console) with a demo campaign', load: () => import('./up.ts') },
  api: { describe: 'run the GraphQL API alone, configured from the environment', load: () => import('./api.ts') },
  migrate: { describe: 'apply database migrations', load: () => import('./migrate.ts') },
  org: { describe: 'create and list organisations (tenants), each with its first admin (needs DATABASE_URL)', load: () => import('./org.ts') },
  quality: { describe: 'agreement and consensus on CSV answer files', load: () => import('./quality.ts') },
  login: { describe: 'sign in (password from standard input) and keep the session for upload and export; `login logout` ends it', load: () => import('./login.ts') },
  upload: { describe: 'upload files to a campaign (presigned multipart, resumable)', load: () => import('./upload.ts') },
  media: { describe: 'probe and de-identify media files', load: () => import('./media.ts') },
  audit: { describe: 'list, export (JSON lines, CSV) and verify the audit log through the API', load: () => import('./audit.ts') },
  export: { describe: 'export accepted labels (COCO, YOLO, CVAT, MOT, phases CSV, NIfTI, native JSON)', load: () => import('./export.ts') },
};

function usage(): string {
  return ['usage: suture <command> [args]', '', ...Object.entries(groups).map(([k, v]) => `  ${k.padEnd(10)} ${v.describe}`)].join('\n');
}

const [command, ...rest] = process.argv.slice(2);
if (!command || command === '--help' || command === '-h') {
  console.log(usage());
  process.exit(command ? 0 : 2);
}
const group = groups[command];
if (!group) {
  console.error(`suture: unknown command '${command}'\n\n${usage()}`);
  process.exit(2);
}
const mod = await group.load();
process.exitCode = await mod.run(rest);
