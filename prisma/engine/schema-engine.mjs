#!/usr/bin/env node
// Stand-in for Prisma's native `schema-engine` binary, backed by `@prisma/schema-engine-wasm` over
// `@prisma/adapter-pg`. It speaks the native engine's command line and line-delimited JSON-RPC 2.0 on
// stdin/stdout (logs as JSON lines on stderr), so the prisma CLI can run migrate/db commands offline.
// See README.md next to this file. Plain ESM on purpose: it starts in well under a second.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const pg = require('pg');

const RPC_ERROR_CODE = 4466; // what the native engine uses for "check the data field"

// ---------------------------------------------------------------------------------------------------
// Command line: [--datamodels <path>]... [--datasource <json>] [--enabled-preview-features a,b]
//               [--extension-types <json>] [--version|-V|--help] [cli <subcommand>]
// ---------------------------------------------------------------------------------------------------
function parseArgs(argv) {
  const out = { datamodels: [], datasource: undefined, cli: null, version: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fatal(`missing value for ${a}`);
      return v;
    };
    if (a === '--datamodels' || a === '-d') out.datamodels.push(value());
    else if (a.startsWith('--datamodels=')) out.datamodels.push(a.slice('--datamodels='.length));
    else if (a === '--datasource') out.datasource = JSON.parse(value());
    else if (a.startsWith('--datasource=')) out.datasource = JSON.parse(a.slice('--datasource='.length));
    else if (a === '--enabled-preview-features' || a === '--extension-types') value();
    else if (a === '--version' || a === '-V' || a === '-v') out.version = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else if (a === 'cli') {
      out.cli = argv.slice(i + 1);
      break;
    }
  }
  return out;
}

function wasmPackageDir() {
  // The package's exports map hides package.json; resolving the main entry does not load it.
  return dirname(require.resolve('@prisma/schema-engine-wasm'));
}

function wasmVersion() {
  const pkg = JSON.parse(readFileSync(join(wasmPackageDir(), 'package.json'), 'utf8'));
  return pkg.version.split('.').pop(); // 8.1.0-2.<commit> -> <commit>
}

// ---------------------------------------------------------------------------------------------------
// Logging in the native engine's format (tracing JSON lines on stderr). The CLI keeps the messages of
// these lines and shows the last ERROR one when the engine exits unexpectedly.
// ---------------------------------------------------------------------------------------------------
function log(level, message, fields = {}, target = 'schema_engine') {
  process.stderr.write(
    JSON.stringify({ timestamp: new Date().toISOString(), level, fields: { message, ...fields }, target }) + '\n',
  );
}

function fatal(message, errorCode) {
  log('ERROR', message, errorCode ? { error_code: errorCode } : {}, 'schema_engine::logger');
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL helpers (connection strings, admin connections, error mapping to P10xx codes)
// ---------------------------------------------------------------------------------------------------
function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

function databaseName(url) {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  return name || new URL(url).username || 'postgres';
}

function hostPort(url) {
  const u = new URL(url);
  return `${u.hostname || 'localhost'}:${u.port || 5432}`;
}

const quoteIdent = (name) => '"' + String(name).replace(/"/g, '""') + '"';

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Connect for admin work (CREATE/DROP DATABASE): the target database itself, else `postgres`, else `template1`. */
async function withAdminClient(url, fn) {
  const candidates = [url, withDatabase(url, 'postgres'), withDatabase(url, 'template1')];
  let lastError;
  for (const candidate of candidates) {
    let client;
    try {
      client = new pg.Client({ connectionString: candidate, connectionTimeoutMillis: 10_000 });
      await client.connect();
    } catch (e) {
      lastError = e;
      await client?.end().catch(() => {});
      if (e?.code === '3D000') continue; // database does not exist: try the next one
      throw e;
    }
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw lastError;
}

/** Map a pg/network error to the native engine's user-facing error (code + message). */
function connectionError(e, url) {
  const db = databaseName(url);
  const at = hostPort(url);
  switch (e?.code) {
    case '3D000':
      return { code: 'P1003', message: `Database \`${db}\` does not exist on the database server at \`${at}\`.` };
    case '28P01':
    case '28000':
      return {
        code: 'P1000',
        message: `Authentication failed against database server at \`${at}\`, the provided database credentials for \`${new URL(url).username}\` are not valid.`,
      };
    case '42501':
      return { code: 'P1010', message: `User was denied access on the database \`${db}\`` };
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return { code: 'P1001', message: `Can't reach database server at \`${at}\`` };
    default:
      if (/timeout/i.test(String(e?.message))) return { code: 'P1001', message: `Can't reach database server at \`${at}\`` };
      return { code: undefined, message: String(e?.message ?? e) };
  }
}

async function canConnect(url) {
  await withClient(url, (c) => c.query('SELECT 1'));
}

/** Create the database named in `url`. Returns false if it already existed. */
async function createDatabase(url) {
  const name = databaseName(url);
  return withAdminClient(withDatabase(url, 'postgres'), async (client) => {
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (e) {
      if (e?.code === '42P04') return false; // duplicate_database
      throw e;
    }
  });
}

async function dropDatabase(adminClient, name) {
  try {
    await adminClient.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } catch (e) {
    if (e?.code !== '42601') throw e; // syntax error: PostgreSQL < 13 has no WITH (FORCE)
    await adminClient.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// `schema-engine cli <command>`: what the prisma CLI runs before migrate commands to make sure the
// database exists (can-connect-to-database, then create-database on P1003).
// ---------------------------------------------------------------------------------------------------
async function runCliSubcommand(args, datasource) {
  const [command] = args;
  const url = datasource?.url;
  // The CLI skips the first stderr line before looking for the ERROR line; the native engine logs a
  // start-up line first too.
  log('INFO', `Starting schema engine CLI (wasm stand-in): ${command}`, { git_hash: wasmVersion() });
  if (!url) fatal('The `cli` subcommands need a `--datasource` with a url.');
  try {
    switch (command) {
      case 'can-connect-to-database':
        await canConnect(url);
        process.stdout.write(JSON.stringify('Connection successful') + '\n');
        break;
      case 'create-database': {
        await createDatabase(url);
        process.stdout.write(JSON.stringify(`Database '${databaseName(url)}' was successfully created.`) + '\n');
        break;
      }
      case 'drop-database':
        await withAdminClient(withDatabase(url, 'postgres'), (c) => dropDatabase(c, databaseName(url)));
        process.stdout.write(JSON.stringify(`The database was successfully dropped.`) + '\n');
        break;
      default:
        fatal(`Unknown cli subcommand: ${command}`);
    }
    process.exit(0);
  } catch (e) {
    const { code, message } = connectionError(e, url);
    fatal(message, code);
  }
}

// ---------------------------------------------------------------------------------------------------
// The wasm engine. Node 20 cannot `import` a .wasm ES module, so instantiate the wasm-bindgen glue by hand.
// ---------------------------------------------------------------------------------------------------
class PanicRegistry {
  message = '';
  get() {
    return this.message;
  }
  set_message(value) {
    this.message = `RuntimeError: ${value}`;
  }
}

let compiledWasm = null;
let instanceCounter = 0;

/**
 * Returns a fresh glue module bound to a fresh wasm instance. The glue keeps its instance in a module
 * variable, so a new instance needs a new module record (hence the query string); the compiled
 * WebAssembly.Module is reused.
 */
async function loadWasmEngineModule() {
  globalThis.PRISMA_WASM_PANIC_REGISTRY ??= new PanicRegistry();
  // The glue's getrandom shim looks up `module.require('crypto')` when it detects Node (CommonJS assumption).
  globalThis.module ??= { require };
  const dir = wasmPackageDir();
  compiledWasm ??= await WebAssembly.compile(readFileSync(join(dir, 'schema_engine_bg.wasm')));
  const glueUrl = pathToFileURL(join(dir, 'schema_engine_bg.js'));
  glueUrl.search = `?instance=${++instanceCounter}`;
  const glue = await import(glueUrl.href);
  const instance = await WebAssembly.instantiate(compiledWasm, { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return glue;
}

// OIDs that @prisma/adapter-pg refuses ("UnsupportedNativeDataType") but that the engine's catalog
// queries select. "char" (OID 18: pg_class.relkind, pg_constraint.contype ...) must come back as the
// Character column type, as with the native engine (the describer reads it with `as_char`); the others
// (reg* types, pg_node_tree, ...) are plain text for pg and for the engine.
const CHAR_OID = 18;
const TEXT_LIKE_OIDS = new Set([22, 24, 27, 28, 29, 30, 194, 705, 1033, 2202, 2203, 2204, 2205, 2206, 3220, 3734, 3769, 4089, 4096]);
const TEXT_OID = 25;
const COLUMN_TYPE_CHARACTER = 6; // ColumnTypeEnum.Character in @prisma/driver-adapter-utils

/** Patch an adapter-pg queryable (adapter or transaction) in place. */
function patchQueryable(q) {
  // queryRaw() passes its query object to performIO(): remember per query which columns were "char".
  const charColumns = new WeakMap();
  const performIO = q.performIO.bind(q);
  q.performIO = async (query) => {
    const result = await performIO(query);
    const fields = result?.fields ?? [];
    const chars = [];
    fields.forEach((field, i) => {
      if (field.dataTypeID === CHAR_OID) {
        chars.push(i);
        field.dataTypeID = TEXT_OID;
      } else if (TEXT_LIKE_OIDS.has(field.dataTypeID)) {
        field.dataTypeID = TEXT_OID;
      }
    });
    if (chars.length > 0 && query && typeof query === 'object') charColumns.set(query, chars);
    return result;
  };
  const queryRaw = q.queryRaw.bind(q);
  q.queryRaw = async (query) => {
    const result = await queryRaw(query);
    const chars = query && typeof query === 'object' ? charColumns.get(query) : undefined;
    if (chars) {
      charColumns.delete(query);
      for (const i of chars) result.columnTypes[i] = COLUMN_TYPE_CHARACTER;
    }
    return result;
  };
  return q;
}

/** Patch a PrismaPgAdapter: text-like OIDs, transactions, and whole-script execution. */
function patchAdapter(adapter) {
  patchQueryable(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (...args) => patchQueryable(await startTransaction(...args));
  // adapter-pg splits scripts on ';', which breaks statements with ';' inside strings, dollar-quoted
  // bodies or comments. Send the script as one simple-protocol query instead, like the native engine.
  adapter.executeScript = async (script) => {
    try {
      await adapter.client.query(script);
    } catch (error) {
      adapter.onError(error);
    }
  };
  return adapter;
}

/**
 * A migration-aware adapter factory. Main database: adapter-pg over the datasource url.
 * Shadow database: a uniquely named temporary database on the same server (or the configured
 * shadowDatabaseUrl, emptied first), connected to directly; on dispose its pool is closed *before*
 * the database is dropped.
 */
class StandInAdapterFactory {
  provider = 'postgres';
  adapterName = '@prisma/adapter-pg';
  constructor({ PrismaPg }, { url, shadowDatabaseUrl }) {
    this.PrismaPg = PrismaPg;
    this.url = url;
    this.shadowDatabaseUrl = shadowDatabaseUrl;
  }

  /** adapter-pg for `url`; its `?schema=` parameter (Prisma's, unknown to pg) becomes the adapter's schema. */
  async pgAdapter(url, schema = schemaParam(url)) {
    const u = new URL(url);
    u.searchParams.delete('schema');
    if (!schema) return new this.PrismaPg({ connectionString: u.toString() }).connect();
    // Like the native engine: unqualified names (migration scripts, the migrations table) go to `schema`.
    const options = `-c search_path=${quoteIdent(schema).replace(/ /g, '\\ ')}`;
    return new this.PrismaPg({ connectionString: u.toString(), options }, { schema }).connect();
  }

  async connect() {
    return patchAdapter(await this.pgAdapter(this.url));
  }

  async connectToShadowDb() {
    if (this.shadowDatabaseUrl) {
      const adapter = patchAdapter(await this.pgAdapter(this.shadowDatabaseUrl));
      await resetDatabase(adapter);
      return adapter;
    }
    const name = `prisma_shadow_${process.pid}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    await withAdminClient(this.url, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
    liveShadowDatabases.add(name);
    const shadowUrl = withDatabase(this.url, name);
    const adapter = patchAdapter(await this.pgAdapter(shadowUrl, schemaParam(this.url)));
    const dispose = adapter.dispose.bind(adapter);
    let disposed = false;
    adapter.dispose = async () => {
      if (disposed) return;
      disposed = true;
      try {
        await dispose(); // closes the shadow pool first ...
      } finally {
        await dropShadowDatabase(this.url, name); // ... then drops the database
      }
    };
    return adapter;
  }
}

const liveShadowDatabases = new Set();

function schemaParam(url) {
  return new URL(url).searchParams.get('schema') || undefined;
}

async function dropShadowDatabase(url, name) {
  await withAdminClient(url, (c) => dropDatabase(c, name));
  liveShadowDatabases.delete(name);
}

async function resetDatabase(adapter) {
  const { rows } = await adapter.client.query(
    `SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('information_schema') AND nspname NOT LIKE 'pg\\_%'`,
  );
  for (const { nspname } of rows) await adapter.client.query(`DROP SCHEMA ${quoteIdent(nspname)} CASCADE`);
  await adapter.client.query('CREATE SCHEMA IF NOT EXISTS "public"');
}

// ---------------------------------------------------------------------------------------------------
// JSON-RPC server
// ---------------------------------------------------------------------------------------------------
class RpcError extends Error {
  constructor(message, { errorCode, meta, isPanic = false } = {}) {
    super(message);
    this.errorCode = errorCode;
    this.meta = meta;
    this.isPanic = isPanic;
  }
}

function send(message) {
  process.stdout.write(JSON.stringify(message, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
}

function toRpcError(e, errorRegistry) {
  // Errors thrown by our JS adapter code travel through the wasm engine as registry ids.
  if (e && typeof e === 'object' && e.kind === 'GenericJs' && errorRegistry) {
    const original = errorRegistry.consumeError?.(e.id)?.error;
    if (original) e = original;
  }
  if (e instanceof RpcError) {
    return { message: e.message, error_code: e.errorCode, meta: e.meta, is_panic: e.isPanic };
  }
  const panicMessage = globalThis.PRISMA_WASM_PANIC_REGISTRY?.get();
  if (e?.name === 'RuntimeError' || (panicMessage && /unreachable/.test(String(e?.message)))) {
    return { message: panicMessage || String(e?.message ?? e), is_panic: true, backtrace: e?.stack };
  }
  return {
    message: String(e?.message ?? e),
    error_code: typeof e?.code === 'string' ? e.code : undefined,
    meta: e?.meta,
    is_panic: false,
  };
}

function schemaFilesFromParams(params) {
  const candidates = [params?.schema?.files, params?.datasource?.files, params?.from?.files, params?.to?.files];
  for (const files of candidates) {
    if (Array.isArray(files) && files.length > 0) return files.map((f) => [f.path, f.content]);
  }
  return undefined;
}

async function serve(args) {
  const initialDatamodels = args.datamodels.length
    ? args.datamodels.map((p) => [p, readFileSync(p, 'utf8')])
    : undefined;
  const datasource = args.datasource ?? {};
  const url = datasource.url ?? process.env.DATABASE_URL;

  let enginePromise = null;
  let errorRegistry = null;

  const getEngine = (params, method) => {
    enginePromise ??= (async () => {
      if (!url) {
        throw new RpcError(
          'The wasm schema-engine stand-in needs a database connection: set `datasource.url` in prisma.config.ts (DATABASE_URL).',
        );
      }
      const [glue, adapterPg, engineUrl] = await Promise.all([
        loadWasmEngineModule(),
        import('@prisma/adapter-pg'),
        engineUrlFor(method, params),
      ]);
      const utils = createRequire(require.resolve('@prisma/adapter-pg'))('@prisma/driver-adapter-utils');
      const factory = utils.bindMigrationAwareSqlAdapterFactory(
        new StandInAdapterFactory(adapterPg, { url: engineUrl, shadowDatabaseUrl: datasource.shadowDatabaseUrl }),
      );
      errorRegistry = factory.errorRegistry;
      const datamodels = initialDatamodels ?? schemaFilesFromParams(params);
      const logLine = (line) => {
        for (const l of String(line).split('\n')) if (l.trim()) process.stderr.write(l + '\n');
      };
      try {
        return await glue.SchemaEngine.new({ datamodels }, logLine, factory);
      } catch (e) {
        enginePromise = null;
        throw e;
      }
    })();
    return enginePromise;
  };

  // Unlike the native engine, the wasm engine connects at construction. A `diff` that never reads the
  // configured database (empty / schema / migrations on both sides) must not need it to exist: use the
  // server's `postgres` database then (the shadow database, if any, is created on the same server).
  const engineUrlFor = async (method, params) => {
    const readsDatabase = (t) => t?.tag === 'schemaDatasource' || t?.tag === 'url';
    if (method !== 'diff' || readsDatabase(params?.from) || readsDatabase(params?.to)) return url;
    try {
      await canConnect(url);
      return url;
    } catch (e) {
      return e?.code === '3D000' ? withDatabase(url, 'postgres') : url;
    }
  };

  // Methods the native engine has and the wasm engine does not (or names differently).
  const localMethods = {
    async createDatabase(params) {
      const target = params?.datasource?.tag === 'ConnectionString' ? params.datasource.url : url;
      await createDatabase(target);
      return { databaseName: databaseName(target) };
    },
    async getDatabaseVersion(params) {
      // The wasm engine ignores the params (it always reports the adapter's database) and throws from
      // a detached closure when they do not deserialize, so never forward them.
      return (await getEngine(params)).version(null);
    },
  };

  const pendingRequests = new Map();
  let nextRequestId = 1;
  const requestFromClient = (method, params) =>
    new Promise((resolve, reject) => {
      const id = `stand-in-${nextRequestId++}`;
      pendingRequests.set(id, (message) =>
        message.error ? reject(new Error(JSON.stringify(message.error))) : resolve(message.result),
      );
      send({ jsonrpc: '2.0', method, params, id });
    });

  const handle = async (method, params) => {
    if (localMethods[method]) return localMethods[method](params);
    if (method === 'debugPanic') {
      (await getEngine(params)).debugPanic();
      return null;
    }
    const engine = await getEngine(params, method);
    if (typeof engine[method] !== 'function' || method === 'free' || method.startsWith('_')) {
      const err = new Error(`Method not found: ${method}`);
      err.rpcCode = -32601;
      throw err;
    }
    const result = await engine[method](params ?? {});
    if (method === 'diff' && result && typeof result.stdout === 'string') {
      // The native engine hands the diff to the CLI through a `print` request (its DiffResult.stdout is
      // null); the CLI writes it to stdout, or to the --output file.
      if (result.stdout.length > 0) await requestFromClient('print', { content: result.stdout.replace(/\n$/, '') });
      return { ...result, stdout: null };
    }
    return result;
  };

  // wasm-bindgen throws some errors (e.g. params that do not deserialize) from detached closures:
  // they surface as uncaught exceptions. Fail the request in flight instead of crashing.
  let failCurrent = null;
  process.on('uncaughtException', (e) => {
    if (failCurrent) {
      // The engine object stays mutably borrowed after such a throw ("recursive use of an object"):
      // drop it and build a fresh one for the next request.
      enginePromise = null;
      failCurrent(e);
    } else {
      log('ERROR', String(e?.stack ?? e));
      process.exit(1);
    }
  });

  let queue = Promise.resolve();
  const processLine = async (line) => {
    if (!line.trim()) return;
    let request;
    try {
      request = JSON.parse(line);
    } catch {
      send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    if (request.method === undefined) return; // a stray response
    const { id, method, params } = request;
    const started = Date.now();
    try {
      const result = await new Promise((resolve, reject) => {
        failCurrent = reject;
        handle(method, params).then(resolve, reject);
      }).finally(() => {
        failCurrent = null;
      });
      if (id !== undefined) send({ jsonrpc: '2.0', result: result ?? null, id });
      log('INFO', `${method} done`, { duration_ms: Date.now() - started }, 'schema_engine::rpc');
    } catch (e) {
      if (e?.rpcCode) {
        send({ jsonrpc: '2.0', error: { code: e.rpcCode, message: e.message }, id });
        return;
      }
      const data = toRpcError(e, errorRegistry);
      // A panicked wasm instance is unusable: build a fresh one for the next request.
      if (data.is_panic) enginePromise = null;
      log('ERROR', data.message, data.error_code ? { error_code: data.error_code } : {}, 'schema_engine::rpc');
      if (id !== undefined) {
        send({
          jsonrpc: '2.0',
          error: {
            code: RPC_ERROR_CODE,
            message: 'An error happened. Check the data field for details.',
            data: data.is_panic
              ? { is_panic: true, message: data.message, backtrace: data.backtrace, error: { message: data.message } }
              : { is_panic: false, message: data.message, meta: data.meta ?? null, error_code: data.error_code ?? null },
          },
          id,
        });
      }
    }
  };

  const shutdown = async (code) => {
    try {
      const engine = enginePromise ? await enginePromise.catch(() => null) : null;
      engine?.free();
    } catch {
      // ignore
    }
    await cleanupShadowDatabases(url);
    process.exit(code);
  };

  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    // Responses to our own requests (`print`) must not wait behind the request that is waiting for them.
    if (line.includes('"result"') || line.includes('"error"')) {
      try {
        const message = JSON.parse(line);
        if (message.method === undefined && pendingRequests.has(message.id)) {
          const settle = pendingRequests.get(message.id);
          pendingRequests.delete(message.id);
          settle(message);
          return;
        }
      } catch {
        // not a response: handled (and reported) in order below
      }
    }
    queue = queue.then(() => processLine(line));
  });
  rl.on('close', () => {
    queue = queue.then(() => shutdown(0));
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => void shutdown(signal === 'SIGINT' ? 130 : 0));
  }
  log('INFO', 'Starting schema engine RPC server (wasm stand-in)', { git_hash: wasmVersion() });
}

async function cleanupShadowDatabases(url) {
  if (!url || liveShadowDatabases.size === 0) return;
  const deadline = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
  await Promise.race([
    Promise.allSettled([...liveShadowDatabases].map((name) => dropShadowDatabase(url, name))),
    deadline,
  ]);
}

// ---------------------------------------------------------------------------------------------------
const args = parseArgs(process.argv.slice(2));
if (args.version) {
  process.stdout.write(`schema-engine-cli ${wasmVersion()}\n`);
  process.exit(0);
} else if (args.help) {
  process.stdout.write(
    `schema-engine (wasm stand-in, ${fileURLToPath(import.meta.url)})\n\n` +
      `USAGE: schema-engine [--datamodels <path>]... [--datasource <json>] [cli <can-connect-to-database|create-database|drop-database>]\n`,
  );
  process.exit(0);
} else if (args.cli) {
  await runCliSubcommand(args.cli, args.datasource);
} else {
  await serve(args);
}
