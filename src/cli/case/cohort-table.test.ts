import { describe, expect, it } from 'vitest';
import { getCohortTable } from './cohort-table.ts';

describe('getCohortTable', () => {
  it('reads CSV with ;-separated ST files, optional numbers, extra columns, paths relative to the table', () => {
    const t = getCohortTable(
      '# cohort of two\r\nCase,patient,slide,st,mpp,labels,positive,diagnosis\r\n# a comment\nB4,B,img/B4.jpg,counts/B4.tsv.gz; spots/B4_selection.tsv,,,,"HER2+, grade 3"\nB1,B,,/abs/B1.tsv.gz;/abs/B1_selection.tsv,0.5,lab/B1.tsv,invasive cancer;cancer in situ,\n',
      'cases.csv',
      '/data/cohort',
    );
    expect(t.extraColumns).toEqual(['patient', 'diagnosis']);
    expect(t.cases).toHaveLength(2);
    expect(t.cases[0]).toMatchObject({ line: 4, name: 'B4', slide: '/data/cohort/img/B4.jpg', st: ['/data/cohort/counts/B4.tsv.gz', '/data/cohort/spots/B4_selection.tsv'], mpp: undefined, extra: { patient: 'B', diagnosis: 'HER2+, grade 3' } });
    expect(t.cases[1]).toMatchObject({ name: 'B1', slide: undefined, st: ['/abs/B1.tsv.gz', '/abs/B1_selection.tsv'], mpp: 0.5, labels: '/data/cohort/lab/B1.tsv', positive: ['invasive cancer', 'cancer in situ'] });
  });

  it('reads TSV, and a table with slides only', () => {
    const t = getCohortTable('sample\tslide\nCMU-1\tCMU-1.svs\nglas 1\tglas/train_1.jpg\n', 'cases.tsv', '/d');
    expect(t.cases.map((c) => [c.name, c.slide, c.st])).toEqual([
      ['CMU-1', '/d/CMU-1.svs', []],
      ['glas 1', '/d/glas/train_1.jpg', []],
    ]);
  });

  it('a Visium HD case: hd_bin_um is the side of the summed bins', () => {
    const t = getCohortTable('case,st,hd_bin_um\nhd,binned_outputs,48\nst,B1.tsv.gz,\n', 'cases.csv', '/d');
    expect(t.cases.map((c) => [c.name, c.st, c.hdBinUm])).toEqual([
      ['hd', ['/d/binned_outputs'], 48],
      ['st', ['/d/B1.tsv.gz'], undefined],
    ]);
    expect(t.extraColumns).toEqual([]);
  });

  it.each([
    ['case,st,hd_bin_um\nA,a,-8\n', /line 2: hd_bin_um of case 'A' must be a positive number, got '-8'/],
    ['slide,st\na.svs,\n', /cases\.csv: no 'case' column \(the header has slide, st\)/],
    ['case,patient\nA,1\n', /neither a 'slide' nor an 'st' column/],
    ['case,slide\nA,a.svs\na,b.svs\n', /cases\.csv line 3: case 'a' is also on line 2; case names must be unique/],
    ['case,slide\nSummary,a.svs\n', /line 2: 'summary' cannot name a case/],
    ['case,slide\n../up,a.svs\n', /cases\.csv line 2: case name '\.\.\/up' cannot name its output files/],
    ['case,slide,st\nA,,\n', /line 2: case 'A' has neither a slide nor ST files/],
    ['case,slide,mpp\nA,a.svs,fast\n', /line 2: mpp of case 'A' must be a positive number, got 'fast'/],
    ['case,slide,labels\nA,a.svs,l.tsv\n', /case 'A' has labels but no ST files/],
    ['case,st,annotations\nA,a.tsv,a.geojson\n', /case 'A' has annotations but no slide/],
    ['case,slide,image\nA,a.svs,b.svs\n', /two columns give the slide \('slide' and 'image'\)/],
    ['case,slide\n', /cases\.csv: no cases/],
  ])('a bad table is refused with the line and what to fix: %j', (text, message) => {
    expect(() => getCohortTable(text, 'cases.csv', '/d')).toThrow(message);
  });
});
