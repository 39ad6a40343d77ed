// PS3.15 Annex E Table E.1-1 (Application Level Confidentiality Profile Attributes), loaded from the
// standard's own table as data (ps3.15/confidentiality_profile_attributes.json, 621 rows, extracted by
// innolitics/dicom-standard, MIT): the single source of truth for which attribute gets which action
// under the Basic Profile and under each option. Repeating groups (50xx,xxxx), (60xx,3000) and
// (60xx,4000) match every even group of their range; the "private attributes" row matches odd groups.
import { createRequire } from 'node:module';
import { isPrivateTag, nameOf } from './dictionary.ts';

/** Basic Profile actions as the table writes them (compound ones are resolved in `resolveRow`). */
export type ProfileAction = 'D' | 'Z' | 'X' | 'K' | 'C' | 'U' | 'X/Z' | 'X/D' | 'Z/D' | 'X/Z/D' | 'X/Z/U*' | 'X/D/U*';

/** The table's option columns, named as Suture's options. */
export const profileOptions = {
  retainFullDates: 'rtnLongFullDatesOpt',
  retainModifiedDates: 'rtnLongModifDatesOpt',
  cleanDescriptors: 'cleanDescOpt',
  cleanStructuredContent: 'cleanStructContOpt',
  cleanGraphics: 'cleanGraphOpt',
  retainUIDs: 'rtnUIDsOpt',
  retainDeviceIdentity: 'rtnDevIdOpt',
  retainInstitutionIdentity: 'rtnInstIdOpt',
  retainPatientCharacteristics: 'rtnPatCharsOpt',
  retainSafePrivate: 'rtnSafePrivOpt',
} as const;

export type ProfileOption = keyof typeof profileOptions;

export interface ProfileRow {
  /** "(0010,0010)"; repeating groups as "(50xx,xxxx)", "(60xx,3000)"; private attributes as "(gggg,eeee)" */
  tag: string;
  /** DICOM keyword (from the data dictionary; derived from the name for the few rows it lacks) */
  keyword: string;
  /** the attribute's name as the table gives it */
  name: string;
  /** Basic Profile action */
  action: ProfileAction;
  /** the action of each option that changes this attribute: K keep, C clean (or shift, for the dates options) */
  options: Partial<Record<ProfileOption, 'K' | 'C'>>;
  /** whether the attribute is used in a standard composite IOD */
  inStandardIOD: boolean;
}

interface TableRow {
  name: string;
  tag: string;
  stdCompIOD: 'Y' | 'N';
  basicProfile: string;
  [option: string]: string;
}

const actions = new Set<string>(['D', 'Z', 'X', 'K', 'C', 'U', 'X/Z', 'X/D', 'Z/D', 'X/Z/D', 'X/Z/U*', 'X/D/U*']);

function keywordFromName(name: string): string {
  return name
    .replace(/\(.*?\)/g, ' ')
    .replace(/'s\b/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

function loadTable(): ProfileRow[] {
  const table = createRequire(import.meta.url)('./ps3.15/confidentiality_profile_attributes.json') as TableRow[];
  return table.map((r) => {
    const name = r.name
      .replace(/\s*\(see Note \d+\)/i, '')
      .replace(/\s+/g, ' ')
      .trim();
    if (!actions.has(r.basicProfile)) throw new Error(`PS3.15 table: unknown action ${r.basicProfile} for ${r.tag}`);
    const options: ProfileRow['options'] = {};
    for (const [option, column] of Object.entries(profileOptions) as Array<[ProfileOption, string]>) {
      const v = r[column];
      if (v === 'K' || v === 'C') options[option] = v;
      else if (v !== undefined) throw new Error(`PS3.15 table: unknown option action ${v} for ${r.tag}`);
    }
    let tag: string;
    let keyword: string;
    if (/^\(GGGG,EEEE\)/i.test(r.tag)) {
      tag = '(gggg,eeee)';
      keyword = 'PrivateAttributes';
    } else if (/x/i.test(r.tag)) {
      tag = r.tag.replace(/X/g, 'x');
      keyword = keywordFromName(name);
    } else {
      tag = r.tag.toUpperCase();
      const known = nameOf(parseInt(tag.slice(1, 5) + tag.slice(6, 10), 16) >>> 0);
      keyword = known === 'UnknownTag' ? keywordFromName(name) : known.replace(/^RETIRED_/, '');
    }
    return { tag, keyword, name, action: r.basicProfile as ProfileAction, options, inStandardIOD: r.stdCompIOD === 'Y' };
  });
}

/** Table E.1-1, every row, in the standard's order. */
export const basicProfile: readonly ProfileRow[] = loadTable();

const exact = new Map<number, ProfileRow>();
const byTag = new Map(basicProfile.map((r) => [r.tag, r]));
for (const row of basicProfile) {
  if (!/^\([0-9A-F]{4},[0-9A-F]{4}\)$/.test(row.tag)) continue;
  exact.set(parseInt(row.tag.slice(1, 5) + row.tag.slice(6, 10), 16) >>> 0, row);
}
const curveData = byTag.get('(50xx,xxxx)')!;
const overlayData = byTag.get('(60xx,3000)')!;
const overlayComments = byTag.get('(60xx,4000)')!;
const privateAttributes = byTag.get('(gggg,eeee)')!;

/** The profile row for a tag (repeating groups and private attributes included), if the table lists it. */
export function profileRowFor(tag: number): ProfileRow | undefined {
  const hit = exact.get(tag);
  if (hit) return hit;
  if (isPrivateTag(tag)) return privateAttributes;
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (group >= 0x5000 && group <= 0x50ff) return curveData;
  if (group >= 0x6000 && group <= 0x60ff) {
    if (element === 0x3000) return overlayData;
    if (element === 0x4000) return overlayComments;
  }
  return undefined;
}

/**
 * What an attribute's row says under a set of options. An option's K (keep) wins over its C (clean or,
 * for the dates options, shift), which wins over the Basic Profile action: options only ever retain more.
 */
export function optionActionFor(row: ProfileRow, enabled: ReadonlySet<ProfileOption>): { option: ProfileOption; action: 'K' | 'C' } | undefined {
  let best: { option: ProfileOption; action: 'K' | 'C' } | undefined;
  for (const [option, action] of Object.entries(row.options) as Array<[ProfileOption, 'K' | 'C']>) {
    if (!enabled.has(option)) continue;
    if (!best || (action === 'K' && best.action === 'C')) best = { option, action };
  }
  return best;
}
