// Text values in the data set's Specific Character Set (0008,0005): decoded so that free text can be
// scrubbed as what it says, and re-encoded only when the cleaned text fits the same character set.
// The reader keeps raw bytes; this module is what gives them meaning for de-identification.

/** Decodes and encodes one element's text. `encode` returns undefined when the text does not fit the set. */
export interface TextCodec {
  /** the defined terms it was made from, for messages and tests */
  readonly terms: readonly string[];
  /** undefined when the bytes are not valid in the character set */
  decode(bytes: Uint8Array): string | undefined;
  encode(text: string): Uint8Array | undefined;
}

const ESC = 0x1b;

/** Single-byte sets by defined term (PS3.3 C.12.1.1.2), as WHATWG labels; ISO_IR 100 is Latin-1 proper. */
const singleByte: Record<string, string> = {
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
};

/** ISO 2022 terms and the G1 single-byte set their escape designates. */
const iso2022SingleByte: Record<string, string> = {
  'ISO 2022 IR 100': 'latin1',
  'ISO 2022 IR 101': 'iso-8859-2',
  'ISO 2022 IR 109': 'iso-8859-3',
  'ISO 2022 IR 110': 'iso-8859-4',
  'ISO 2022 IR 144': 'iso-8859-5',
  'ISO 2022 IR 127': 'iso-8859-6',
  'ISO 2022 IR 126': 'iso-8859-7',
  'ISO 2022 IR 138': 'iso-8859-8',
  'ISO 2022 IR 148': 'iso-8859-9',
  'ISO 2022 IR 203': 'iso-8859-15',
  'ISO 2022 IR 166': 'windows-874',
};

/** Final bytes of "ESC - F" (96-set into G1) for the single-byte ISO 2022 sets. */
const g1Final: Record<number, string> = {
  0x41: 'latin1', // ESC - A  ISO-IR 100
  0x42: 'iso-8859-2', // ESC - B  ISO-IR 101
  0x43: 'iso-8859-3', // ESC - C  ISO-IR 109
  0x44: 'iso-8859-4', // ESC - D  ISO-IR 110
  0x4c: 'iso-8859-5', // ESC - L  ISO-IR 144
  0x47: 'iso-8859-6', // ESC - G  ISO-IR 127
  0x46: 'iso-8859-7', // ESC - F  ISO-IR 126
  0x48: 'iso-8859-8', // ESC - H  ISO-IR 138
  0x4d: 'iso-8859-9', // ESC - M  ISO-IR 148
  0x62: 'iso-8859-15', // ESC - b  ISO-IR 203
  0x54: 'windows-874', // ESC - T  ISO-IR 166
};

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label, { fatal: true });
    decoders.set(label, d);
  }
  return d;
}

function decodeWith(label: string, bytes: Uint8Array): string | undefined {
  if (label === 'latin1') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    return decoder(label).decode(bytes);
  } catch {
    // Not valid in this set: the caller treats the value as text it cannot read.
    return undefined;
  }
}

const encodeTables = new Map<string, Map<string, number>>();
/** Inverse of a single-byte decoder, built from the decoder itself (so both agree by construction). */
function encodeTable(label: string): Map<string, number> {
  let table = encodeTables.get(label);
  if (!table) {
    table = new Map();
    for (let b = 0; b < 256; b++) {
      const s = decodeWith(label, Uint8Array.of(b));
      if (s !== undefined && s.length === 1 && s !== '\ufffd' && !table.has(s)) table.set(s, b);
    }
    encodeTables.set(label, table);
  }
  return table;
}

function encodeSingleByte(label: string, text: string): Uint8Array | undefined {
  const table = encodeTable(label);
  const out = new Uint8Array(text.length);
  let i = 0;
  for (const ch of text) {
    const b = table.get(ch);
    if (b === undefined) return undefined;
    out[i++] = b;
  }
  return out.subarray(0, i);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7e && text.charCodeAt(i) !== 0x7f) return false;
  return true;
}

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * ISO 2022 with code extensions (PS3.5 6.1.2.5): escape sequences switch G0/G1 between ASCII,
 * JIS X 0201, JIS X 0208/0212, KS X 1001, GB 2312 and the 8-bit Latin/Cyrillic/... sets.
 */
function decodeIso2022(bytes: Uint8Array, initialG1: string | undefined): string | undefined {
  let g0: 'ascii' | 'jis0201' | 'jis0208' | 'jis0212' = 'ascii';
  let g1: string | undefined = initialG1;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === ESC) {
      const a = bytes[i + 1];
      const c = bytes[i + 2];
      const d = bytes[i + 3];
      if (a === 0x28 && (c === 0x42 || c === 0x4a)) {
        g0 = c === 0x42 ? 'ascii' : 'jis0201';
        i += 3;
      } else if (a === 0x24 && c === 0x42) {
        g0 = 'jis0208';
        i += 3;
      } else if (a === 0x24 && c === 0x40) {
        g0 = 'jis0208';
        i += 3;
      } else if (a === 0x24 && c === 0x28 && d === 0x44) {
        g0 = 'jis0212';
        i += 4;
      } else if (a === 0x29 && c === 0x49) {
        g1 = 'jis0201-kana';
        i += 3;
      } else if (a === 0x24 && c === 0x29 && d === 0x43) {
        g1 = 'euc-kr';
        i += 4;
      } else if (a === 0x24 && c === 0x29 && d === 0x41) {
        g1 = 'gb18030';
        i += 4;
      } else if (a === 0x2d && c !== undefined && g1Final[c]) {
        g1 = g1Final[c];
        i += 3;
      } else {
        return undefined;
      }
      continue;
    }
    if (b === 0x0d || b === 0x0a || b === 0x0c || b === 0x09) {
      // Control characters reset G0 to ASCII in DICOM's use of ISO 2022.
      out += String.fromCharCode(b);
      g0 = 'ascii';
      i++;
      continue;
    }
    if (b < 0x80) {
      if (g0 === 'jis0208' || g0 === 'jis0212') {
        const b2 = bytes[i + 1];
        if (b2 === undefined || b2 < 0x21 || b2 > 0x7e || b < 0x21) return undefined;
        const euc = g0 === 'jis0208' ? Uint8Array.of(b | 0x80, b2 | 0x80) : Uint8Array.of(0x8f, b | 0x80, b2 | 0x80);
        const s = decodeWith('euc-jp', euc);
        if (s === undefined) return undefined;
        out += s;
        i += 2;
      } else {
        out += String.fromCharCode(b);
        i++;
      }
      continue;
    }
    // High bytes: the G1 set.
    if (g1 === undefined) return undefined;
    if (g1 === 'jis0201-kana') {
      if (b < 0xa1 || b > 0xdf) return undefined;
      out += String.fromCharCode(0xff61 + (b - 0xa1));
      i++;
    } else if (g1 === 'euc-kr' || g1 === 'gb18030') {
      const b2 = bytes[i + 1];
      if (b2 === undefined || b2 < 0x80) return undefined;
      const s = decodeWith(g1, Uint8Array.of(b, b2));
      if (s === undefined) return undefined;
      out += s;
      i += 2;
    } else {
      const s = decodeWith(g1, Uint8Array.of(b));
      if (s === undefined) return undefined;
      out += s;
      i++;
    }
  }
  return out;
}

/** The codec for a Specific Character Set value (its defined terms, backslash-separated). */
export function codecFor(specificCharacterSet: string | undefined): TextCodec {
  const terms = (specificCharacterSet ?? '')
    .split('\\')
    .map((t) => t.trim().toUpperCase())
    .filter((t, i) => t !== '' || i === 0);
  const first = terms[0] ?? '';
  const extended = terms.some((t) => t.startsWith('ISO 2022'));
  if (!extended && terms.length <= 1) {
    if (first === 'ISO_IR 192') {
      return {
        terms,
        decode: (bytes) => decodeWith('utf-8', bytes),
        encode: (text) => new Uint8Array(Buffer.from(text, 'utf8')),
      };
    }
    if (first === 'GB18030' || first === 'GBK') {
      return { terms, decode: (bytes) => decodeWith('gb18030', bytes), encode: (text) => (isAscii(text) ? asciiBytes(text) : undefined) };
    }
    const label = singleByte[first];
    if (label) return { terms, decode: (bytes) => decodeWith(label, bytes), encode: (text) => encodeSingleByte(label, text) };
    // Default repertoire (ISO_IR 6) and ISO_IR 100: Latin-1, which many writers also put in unlabelled files.
    return { terms, decode: (bytes) => decodeWith('latin1', bytes), encode: (text) => encodeSingleByte('latin1', text) };
  }
  // Code extensions: the first term's set is active at the start of every value (PS3.5 6.1.2.5.3).
  const initialG1 = first === 'ISO 2022 IR 13' ? 'jis0201-kana' : iso2022SingleByte[first];
  const soleSingleByte = terms.every((t) => t === '' || t === 'ISO 2022 IR 6' || iso2022SingleByte[t] !== undefined);
  return {
    terms,
    decode: (bytes) => decodeIso2022(bytes, initialG1),
    // Re-encoding into a multi-byte extension is not attempted: only ASCII (always valid in G0), or the
    // one single-byte set when it is the only one declared (then high bytes need no escape).
    encode: (text) => {
      if (isAscii(text)) return asciiBytes(text);
      if (soleSingleByte && initialG1 && initialG1 !== 'jis0201-kana' && terms.filter((t) => iso2022SingleByte[t]).length === 1) return encodeSingleByte(initialG1, text);
      return undefined;
    },
  };
}

/** A value's text without the padding a writer adds (trailing spaces and NULs, leading spaces). */
export function decodeValue(codec: TextCodec, bytes: Uint8Array | undefined): string | undefined {
  if (!bytes) return undefined;
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--;
  let start = 0;
  while (start < end && bytes[start] === 0x20) start++;
  return codec.decode(bytes.subarray(start, end));
}
