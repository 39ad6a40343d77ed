// Runs the prisma CLI of this package offline: `tsx prisma/scripts/prisma.ts <prisma args...>`.
//
// Prisma 7 downloads its native schema engine on first use, from a host this machine cannot reach.
// Unless a native engine is available (PRISMA_SCHEMA_ENGINE_BINARY set by the caller, or a
// `schema-engine-<platform>` file where the CLI looks for one), PRISMA_SCHEMA_ENGINE_BINARY points at
// the wasm stand-in in ../engine (see ../engine/README.md), which also stops the download attempt.
// The Prisma config (../prisma.config.ts) is passed with --config unless the caller gives one.
// The exit code (or signal) of the CLI is propagated.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const standInEngine = path.join(packageDir, 'engine', 'schema-engine.mjs');
export const configPath = path.join(packageDir, 'prisma.config.ts');

const require = createRequire(path.join(packageDir, 'package.json'));
const prismaDir = path.dirname(require.resolve('prisma/package.json'));
const prismaCli = path.join(prismaDir, 'build', 'index.js');

/** A native schema engine in one of the places the prisma CLI searches, if any. */
export function findNativeEngine(): string | undefined {
  const realPrismaDir = realpathSync(prismaDir);
  const dirs: string[] = [];
  try {
    const prismaRequire = createRequire(path.join(realPrismaDir, 'package.json'));
    dirs.push(path.dirname(prismaRequire.resolve('@prisma/engines/package.json')));
  } catch {
    // @prisma/engines not resolvable: only the CLI's own directories remain
  }
  dirs.push(realPrismaDir, path.dirname(realPrismaDir), path.join(realPrismaDir, 'runtime'));
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const name = names.find((n) => /^schema-engine-[\w.-]+$/.test(n) && !/\.(sha256|gz|sig|tmp)$/.test(n));
    if (name) return path.join(dir, name);
  }
  return undefined;
}

export function prismaEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    // node_modules/.bin of this package: generator binaries such as prisma-pothos-types.
    PATH: [path.join(packageDir, 'node_modules', '.bin'), base.PATH].filter(Boolean).join(path.delimiter),
    CHECKPOINT_DISABLE: '1', // no update check / telemetry request
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
  };
  const forceStandIn = base.SUTURE_PRISMA_WASM_ENGINE === '1';
  if (forceStandIn || (!base.PRISMA_SCHEMA_ENGINE_BINARY && !base.PRISMA_MIGRATION_ENGINE_BINARY)) {
    const native = forceStandIn ? undefined : findNativeEngine();
    env.PRISMA_SCHEMA_ENGINE_BINARY = native ?? standInEngine;
  }
  return env;
}

export function prismaArgs(args: string[]): string[] {
  const hasConfig = args.some((a) => a === '--config' || a.startsWith('--config='));
  const wantsOnlyVersionOrHelp = args.length === 0 || args.every((a) => /^(-v|--version|-h|--help)$/.test(a));
  return hasConfig || wantsOnlyVersionOrHelp ? args : [...args, '--config', configPath];
}

function main(): void {
  if (!existsSync(standInEngine)) throw new Error(`missing ${standInEngine}`);
  const child = spawn(process.execPath, [prismaCli, ...prismaArgs(process.argv.slice(2))], {
    stdio: 'inherit',
    env: prismaEnv(),
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('error', (error) => {
    console.error(`failed to start the prisma CLI: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
