import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESULTS_FILES, type BenchResultsFile } from '../../bench/lib.js';

const BENCH = join(import.meta.dirname, '../../bench');

describe('bench results', () => {
  it('a run writes a git-ignored local file, never the committed reference figures', async () => {
    expect(RESULTS_FILES.local, 'a local run must not overwrite the committed figures').not.toBe(RESULTS_FILES.reference);
    const ignored = (await readFile(join(import.meta.dirname, '../../.gitignore'), 'utf8')).split('\n').map((l) => l.trim());
    expect(ignored, 'local figures are one machine\'s and must not be committed by accident').toContain(`bench/${RESULTS_FILES.local}`);
  });

  it('the committed reference figures say which machine and date they come from', async () => {
    const ref = JSON.parse(await readFile(join(BENCH, RESULTS_FILES.reference), 'utf8')) as BenchResultsFile;
    expect(Number.isNaN(Date.parse(ref.date)), 'the reference needs the date of its run').toBe(false);
    expect(ref.machine.cores, 'the reference needs the machine\'s core count').toBeGreaterThan(0);
    expect(ref.machine.memoryGiB, 'the reference needs the machine\'s memory').toBeGreaterThan(0);
    expect(ref.machine.cpuModel, 'the reference needs the CPU model').toMatch(/\S/);
    expect(ref.machine.node, 'the reference needs the Node version').toMatch(/^v\d+\./);
    expect(Object.keys(ref.figures).length, 'the reference carries the figures themselves').toBeGreaterThan(0);
    for (const [name, f] of Object.entries(ref.figures)) expect(typeof f.ratio, `${name} needs its ratio`).toBe('number');
  });
});
