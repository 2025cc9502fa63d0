import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getPositiveClasses, getSpotLabels } from './labels.ts';

const DATA = resolve(import.meta.dirname, '../../../../shared/data');

describe('spot labels for evaluate', () => {
  it("HER2ST labelled coordinates: XxY ids from the rounded x, y (not the Row.names), the README's cancer classes", () => {
    const { labels, detail } = getSpotLabels(readFileSync(`${DATA}/her2st/labels/B1_labeled_coordinates.tsv`), 'B1_labeled_coordinates.tsv');
    expect(detail).toMatch(/HER2ST/);
    expect(labels.size).toBe(295);
    // first rows: Row.names 1000x1015, x 9.004, y 26.938, invasive cancer; 1001x2256, 9.007, 17.086, breast glands
    expect(labels.get('9x27')).toBe('invasive cancer');
    expect(labels.get('9x17')).toBe('breast glands');
    expect(labels.has('1000x1015')).toBe(false);
    expect([...getPositiveClasses(labels.values())]).toEqual(['invasive cancer']);
    expect([...getPositiveClasses(['invasive cancer', 'cancer in situ', 'undetermined', 'breast glands'])].sort()).toEqual(['cancer in situ', 'invasive cancer']);
  });

  it('the SEDR annotations of the Visium breast section: barcodes, annot_type; Invasive and Tumor are cancer, Surrounding tumor and Healthy are not', () => {
    const { labels, detail } = getSpotLabels(readFileSync(`${DATA}/visium/breast_cancer_block_a1/region_annotations.tsv`), 'region_annotations.tsv');
    expect(detail).toMatch(/column 'annot_type'/);
    expect(labels.size).toBe(3798);
    expect(labels.get('AAACAAGTATCTCCCA-1')).toBe('Surrounding tumor');
    expect([...getPositiveClasses(labels.values())].sort()).toEqual(['Invasive', 'Tumor']);
    expect([...getPositiveClasses(labels.values(), ['tumor'])]).toEqual(['Tumor']);
  });

  it('a table with its own id column keeps those ids even beside x and y columns', () => {
    const { labels, detail } = getSpotLabels(new TextEncoder().encode('barcode,x,y,label\nAAAC-1,10.2,20.7,Tumor\nAAAG-1,11,21,Healthy\n'), 'ann.csv');
    expect(detail).toMatch(/spot ids from column 'barcode'/);
    expect([...labels.entries()]).toEqual([
      ['AAAC-1', 'Tumor'],
      ['AAAG-1', 'Healthy'],
    ]);
  });

  it('no label column, or no class that says cancer: errors that say what to give', () => {
    expect(() => getSpotLabels(new TextEncoder().encode('barcode\tscore\nA\t1\n'), 'x.tsv')).toThrow(/x\.tsv: no label column \(looked for label, .*the header has barcode, score\)/);
    expect(() => getPositiveClasses(['stroma', 'immune'])).toThrow(/no class name says cancer \(classes: stroma, immune\); name the cancer classes with --positive/);
  });
});
