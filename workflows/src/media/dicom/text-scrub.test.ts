import { describe, expect, it } from 'vitest';
import { scrubText } from './text-scrub.ts';

/** Asserts that nothing of `phi` is left in the cleaned text and that `kept` survives. */
function expectScrubbed(input: string, phi: string[], kept: string[] = [], phiTokens: string[] = []) {
  const r = scrubText(input, { phiTokens });
  expect(r.confident, input).toBe(true);
  for (const p of phi) expect(r.text.toLowerCase(), `${input} -> ${r.text}`).not.toContain(p.toLowerCase());
  for (const k of kept) expect(r.text, `${input} -> ${r.text}`).toContain(k);
  return r;
}

describe('scrubText finds identifying text', () => {
  it('names after titles, relatives, "seen by" and labels, in any case', () => {
    expectScrubbed('Seen by Dr. Gregory House in clinic', ['Gregory', 'House'], ['Seen by', 'in clinic']);
    expectScrubbed('DR HOLMES REVIEWED', ['HOLMES'], ['REVIEWED']);
    expectScrubbed('MRS PETER BROWN CALLED', ['PETER', 'BROWN'], ['CALLED']);
    expectScrubbed('Pt lives with her daughter Jane who visits daily', ['Jane'], ['daughter', 'visits daily']);
    expectScrubbed('HER DAUGHTER JANE VISITS', ['JANE'], ['DAUGHTER', 'VISITS']);
    expectScrubbed('Son Peter to be called with results', ['Peter'], ['to be called with results']);
    expectScrubbed('Referred by Moriarty for review', ['Moriarty'], ['Referred by', 'for review']);
    expectScrubbed('Patient: Watson, John. Scan tolerated well', ['Watson', 'John'], ['Scan tolerated well']);
    expectScrubbed('Mrs Hudson accompanied the patient', ['Hudson'], ['accompanied the patient']);
  });

  it('names from the dictionary without context, and DICOM-style names', () => {
    expectScrubbed('JOHN SMITH CHEST PA', ['JOHN', 'SMITH'], ['CHEST PA']);
    expectScrubbed('Discussed with Sherlock Holmes today', ['Sherlock', 'Holmes'], ['Discussed with', 'today']);
    expectScrubbed('ABDOMEN MORIARTY', ['MORIARTY'], ['ABDOMEN']);
    expectScrubbed('copy to HOLMES^SHERLOCK', ['HOLMES', 'SHERLOCK'], ['copy to']);
    // A capitalised word that is not English, inside a sentence, is taken for a name.
    expectScrubbed('Results given to Lestrade at 3pm', ['Lestrade'], ['Results given to']);
    expectScrubbed('J. Smith reviewed', ['Smith'], ['reviewed']);
    expectScrubbed('SMITH, J. CT HEAD', ['SMITH'], ['CT HEAD']);
    expectScrubbed('SMITH, JOHN CT HEAD', ['SMITH', 'JOHN'], ['CT HEAD']);
    expectScrubbed('Dr. J. Watson', ['Watson'], ['Dr.']);
    expectScrubbed('Lesion 12 mm, Dr Holmes MRN 12345678', ['Holmes', '12345678'], ['Lesion 12 mm, Dr', 'MRN']);
  });

  it('dates in common formats', () => {
    for (const d of ['2023-01-15', '15/01/2023', '01/15/2023', '15.01.2023', '15 Jan 2023', 'January 15, 2023', '15-JAN-2023', '3rd of March 2021', 'Mar 2021', '20230115'])
      expectScrubbed(`Previous scan ${d} showed no change`, [d], ['Previous scan', 'showed no change']);
  });

  it('phone numbers, e-mail, URLs', () => {
    for (const p of ['+44 20 7946 0958', '(555) 123-4567', '555-123-4567', '555.123.4567', '07700 900123', '020 7946 0958'])
      expectScrubbed(`Call ${p} if worse`, [p, p.replace(/\D/g, '').slice(-4)], ['if worse']);
    expectScrubbed('Tel: 4711 2345 for the ward', ['4711 2345'], ['Tel', 'for the ward']);
    expectScrubbed('call 555-0100 today', ['555-0100'], ['call', 'today']);
    expectScrubbed('Send to j.watson@example.org please', ['j.watson@example.org', 'watson'], ['please']);
    expectScrubbed('see https://pacs.example.org/viewer?pid=12345', ['pacs.example.org', '12345'], ['see']);
  });

  it('record numbers and other identifiers', () => {
    expectScrubbed('MRN 12345678 CT HEAD', ['12345678'], ['CT HEAD', 'MRN']);
    expectScrubbed('MRN: A12B34 follow-up', ['A12B34'], ['follow-up']);
    expectScrubbed('Accession No. ACC778899', ['ACC778899', '778899']);
    expectScrubbed('NHS number 943 476 5919', ['943 476 5919', '5919']);
    expectScrubbed('SSN 123-45-6789', ['123-45-6789']);
    expectScrubbed('ref #4471 attached', ['4471'], ['attached']);
    expectScrubbed('sample XK2291047 sent', ['XK2291047'], ['sent']);
  });

  it('addresses and postcodes', () => {
    expectScrubbed('Lives at 221B Baker Street, London NW1 6XE', ['221B', 'Baker', 'NW1 6XE'], ['Lives at']);
    expectScrubbed('Home: 12 Elm Grove Road', ['Elm Grove Road', '12 Elm'], ['Home']);
    expectScrubbed('PO Box 4410 returned', ['4410'], ['returned']);
    expectScrubbed('Flat 3 upstairs', ['Flat 3'], ['upstairs']);
    expectScrubbed('Ottawa K1A 0B6', ['K1A 0B6'], []);
    expectScrubbed('ZIP 02115-1234', ['02115-1234', '02115']);
  });

  it('ages over 89, but not younger ages', () => {
    expectScrubbed('92 year old female, fall', ['92'], ['year old female, fall']);
    expectScrubbed('Aged 95 with dementia', ['95'], ['with dementia']);
    expectScrubbed('PATIENT 091Y', ['091Y']);
    expect(scrubText('45 year old male').text).toBe('45 year old male');
  });

  it('care homes and institutions by pattern', () => {
    expectScrubbed('Transferred from Sunnyside Care Home yesterday', ['Sunnyside'], ['Transferred from', 'yesterday']);
    expectScrubbed('RESIDENT OF OAKWOOD NURSING HOME', ['OAKWOOD'], ['RESIDENT OF']);
    expectScrubbed("Prior imaging at St Mary's Hospital", ['Mary'], ['Prior imaging at']);
    expectScrubbed('Seen at Royal Infirmary of Edinburgh', ['Edinburgh', 'Royal'], ['Seen at']);
    expectScrubbed('admitted to hospital overnight', [], ['admitted to hospital overnight']);
  });

  it('the values the header already holds, as whole words', () => {
    expectScrubbed('For Cumberbatch review, ACC 4471x', ['Cumberbatch', '4471x'], ['review'], ['Cumberbatch', '4471x']);
    // "ANN" from a name does not cut "ANNUAL".
    expect(scrubText('ANNUAL SCREENING', { phiTokens: ['ANN'] }).text).toBe('ANNUAL SCREENING');
  });

  it('names the categories it found and can blank instead of marking', () => {
    const r = scrubText('Dr Holmes 2023-01-15 MRN 12345678');
    expect(r.found).toEqual(['NAME', 'DATE', 'ID']);
    expect(r.text).toBe('Dr [NAME] [DATE] MRN [ID]');
    expect(scrubText('Dr Holmes 2023-01-15', { replacement: 'blank' }).text).toBe('Dr');
  });
});

describe('scrubText keeps what is not identifying', () => {
  const keep = [
    'CT ABDOMEN W CONTRAST',
    'abdomen^liver',
    'LARGE BOWTIE FIL',
    'CT HEAD W BROWN',
    'T1 SE 120-1000 ms',
    'EPIQ 7C_1.7.1.24',
    'Philips Medical Systems',
    '11 ml Omniscan',
    'Iowa QIN segmentation result',
    'T2 FLAIR AX',
    'AX T1 POST GAD',
    'SAG T1 MPRAGE 1mm',
    'COR STIR',
    'DWI b1000 ADC',
    'CHEST PA AND LATERAL',
    'CT HEAD WO CONTRAST',
    'MR BRAIN W/WO',
    'Thorax 1.0 B70f',
    'CINE SSFP 4CH',
    'LOCALIZER',
    'Routine Brain',
    'CTA CHEST PE PROTOCOL',
    'US ABDOMEN COMPLETE',
    'XR KNEE LEFT 3 VIEWS',
    'PET CT WHOLE BODY FDG',
    'T1 VIBE FS POST 2MIN',
    'MAMMO SCREENING BILATERAL CC MLO',
    'kVp 120 mAs 250 slice 5 mm',
    'Robotic prostatectomy step 4',
    'SE2 IM45',
    'DR CHEST',
    'Liver',
    'SlicerEditor',
    'ep2d_diff_3scan_trace_p2',
    'No evidence of metastatic disease.',
    'Patient moved during acquisition, repeat sequence',
    'Follow up in 6 months',
    'Lesion measures 12 x 8 mm on image 45 of series 3',
    '45 year old male',
    'Brown adipose tissue uptake',
    'White matter changes',
    'BROWN FAT UPTAKE',
  ];
  for (const text of keep) {
    it(`keeps "${text}"`, () => {
      const r = scrubText(text);
      expect(r).toEqual({ text, confident: true, found: [] });
    });
  }
});

describe('scrubText gives up where it cannot read', () => {
  it('reports other scripts and control characters as not confident', () => {
    expect(scrubText('山田太郎 CT').confident).toBe(false);
    expect(scrubText('Иванов Иван').confident).toBe(false);
    expect(scrubText('ok\u0001binary').confident).toBe(false);
    // Latin letters with accents are read.
    expect(scrubText('Befund mit Frau Müller besprochen').confident).toBe(true);
    expect(scrubText('Befund mit Frau Müller besprochen').text).toBe('Befund mit Frau [NAME] besprochen');
  });
});
