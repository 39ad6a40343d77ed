// Streaming containers for export writers: a zip (fflate's streaming Zip) and gzip, both deterministic
// (fixed timestamps), both handing back what they produced so far so a writer can yield it at once.
import { Gzip, Zip, ZipDeflate, ZipPassThrough } from 'fflate';

/** Zip entries carry this time: the same export gives the same bytes whenever it runs. */
const ZIP_TIME = new Date(1980, 0, 1, 0, 0, 0);
const encoder = new TextEncoder();
const bytesOf = (chunk: string | Uint8Array): Uint8Array => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk);

export interface ZipEntry {
  push(chunk: string | Uint8Array): void;
  end(): void;
}

export class ZipStream {
  private out: Uint8Array[] = [];
  private failure: Error | null = null;
  private readonly zip = new Zip((error, data) => {
    if (error) this.failure = error;
    else this.out.push(data);
  });

  /** Opens an entry; entries are written one after the other (end one before opening the next). */
  entry(name: string, options: { stored?: boolean } = {}): ZipEntry {
    const file = options.stored ? new ZipPassThrough(name) : new ZipDeflate(name, { level: 6 });
    file.mtime = ZIP_TIME;
    this.zip.add(file);
    return {
      push: (chunk) => file.push(bytesOf(chunk), false),
      end: () => file.push(new Uint8Array(0), true),
    };
  }

  /** A whole small entry at once. */
  add(name: string, content: string | Uint8Array, options: { stored?: boolean } = {}): void {
    const e = this.entry(name, options);
    e.push(content);
    e.end();
  }

  end(): void {
    this.zip.end();
  }

  /** What the zip produced since the last call. */
  take(): Uint8Array[] {
    if (this.failure) throw this.failure;
    const out = this.out;
    this.out = [];
    return out;
  }
}

export class GzipStream {
  private out: Uint8Array[] = [];
  private readonly gzip = new Gzip({ level: 6, mtime: 0 }, (data) => this.out.push(data));

  push(chunk: Uint8Array, final = false): void {
    this.gzip.push(chunk, final);
  }

  take(): Uint8Array[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

/** Numbers as exports print them: at most 6 decimals, no trailing zeros, never "-0". */
export function num(v: number): string {
  const r = Math.round(v * 1e6) / 1e6;
  return Object.is(r, -0) ? '0' : String(r);
}

/** A CSV field, quoted when it needs to be. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? num(v) : v;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
