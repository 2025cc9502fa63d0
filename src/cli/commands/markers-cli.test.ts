/** `fusescope markers` on predict's output for HER2ST B1: the scipy reference, the CSV, clear errors. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing/run-cli.ts';

const ROOT = resolve(__dirname, '../../..');
const H = resolve(ROOT, '../shared/data/her2st');
const tmp = mkdtempSync(join(tmpdir(), 'fusescope-markers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fusescope markers', () => {
  const scores = join(tmp, 'B1.csv');
  const st = [`${H}/counts/B1.tsv.gz`, `${H}/spots/B1_selection.tsv`];
  beforeAll(async () => {
    expect((await runCli(['predict', '--st', ...st, '--out', scores])).code).toBe(0);
  }, 60_000);

  it('grouped by the labels: the markers scipy computes from the raw files', async () => {
    const r = await runCli(['markers', '--scores', scores, '--st', ...st, '--labels', `${H}/labels/B1_labeled_coordinates.tsv`, '--top', '10', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/markers: 63 labelled invasive cancer \(B1_labeled_coordinates\.tsv\) vs the other labelled scored spots \(232\)/);
    const m = JSON.parse(r.stdout);
    const ref = JSON.parse(readFileSync(resolve(ROOT, 'tests/fixtures/markers/b1_markers.json'), 'utf8'));
    expect(m.up.map((g: { symbol: string }) => g.symbol)).toEqual(ref.up.slice(0, 10).map((g: { symbol: string }) => g.symbol));
    expect(m.down.map((g: { symbol: string }) => g.symbol)).toEqual(ref.down.slice(0, 10).map((g: { symbol: string }) => g.symbol));
    m.up.forEach((g: { auc: number }, i: number) => {
      expect(g.auc).toBeCloseTo(ref.up[i].auc, 10);
    });
  });

  it("grouped by predict's cancer calls: a CSV with both directions", async () => {
    const out = join(tmp, 'B1-markers.csv');
    const r = await runCli(['markers', '--scores', scores, '--st', ...st, '--top', '5', '--out', out]);
    expect(r.code).toBe(0);
    const calls = readFileSync(scores, 'utf8').trim().split('\n').slice(1).filter((l) => l.endsWith(',1')).length;
    expect(r.stderr).toMatch(new RegExp(`markers: ${calls} spots called cancer \\(the 'cancer' column of B1\\.csv\\) vs the other scored spots \\(${295 - calls}\\)`));
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('direction,rank,gene,auc,log2fc,mean_in,mean_out,frac_in,frac_out');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['up,1', 'up,2', 'up,3', 'up,4', 'up,5', 'down,1', 'down,2', 'down,3', 'down,4', 'down,5']);
    for (const l of lines.slice(1)) {
      const f = l.split(',');
      const auc = Number(f[3]);
      expect(f[0] === 'up' ? auc > 0.5 : auc < 0.5).toBe(true);
    }
  });

  it('scores of other spots, or not a predict output: one clear line', async () => {
    const other = join(tmp, 'other.csv');
    writeFileSync(other, 'spot_id,x,y,histology,gene,fused,cancer\nAAACAAGTATCTCCCA-1,1,2,,0.5,,1\n');
    const r = await runCli(['markers', '--scores', other, '--st', ...st]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^fusescope markers: other\.csv: none of its 1 spot ids is in the ST files \(scores AAACAAGTATCTCCCA-1\.\.\.; ST \d+x\d+, /);
    const notScores = await runCli(['markers', '--scores', `${H}/spots/B1_selection.tsv`, '--st', ...st]);
    expect(notScores.code).toBe(1);
    expect(notScores.stderr.trim()).toMatch(/^fusescope markers: B1_selection\.tsv: not a fusescope predict output/);
  });
});
