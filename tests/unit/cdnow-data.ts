// The CDNOW sample (Fader, Hardie & Lee 2005) as used by the model tests: ../shared/data/cdnow/ beside the
// project folder (CI clones the repository with shared/ next to it).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Transaction } from '../../segments/models/btyd-summary.js';

export const CDNOW_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/cdnow');

export interface CdnowCalibrationRow {
  id: number;
  x: number;
  tx: number;
  T: number;
  /** Mean repeat-purchase value (0 when x = 0). */
  zbar: number;
}

/** cdnow_summary_calibration.csv: ID,x,t_x,T,zbar; calibration ends 1997-09-30, time in weeks. */
export function loadCdnowCalibration(): CdnowCalibrationRow[] {
  const lines = readFileSync(path.join(CDNOW_DIR, 'cdnow_summary_calibration.csv'), 'utf8').trim().split(/\r?\n/);
  const header = lines.shift();
  if (header !== 'ID,x,t_x,T,zbar') throw new Error(`unexpected header in cdnow_summary_calibration.csv: ${header}`);
  return lines.map((line) => {
    const [id, x, tx, T, zbar] = line.split(',').map(Number);
    return { id: id!, x: x!, tx: tx!, T: T!, zbar: zbar! };
  });
}

/**
 * CDNOW_sample.txt: master customer id, customer id (the ID of the calibration CSV), date yyyymmdd, quantity,
 * amount. customerId is the second column as a number string ("0001" → "1").
 */
export function loadCdnowTransactions(): Transaction[] {
  const lines = readFileSync(path.join(CDNOW_DIR, 'CDNOW_sample.txt'), 'utf8').trim().split(/\r?\n/);
  return lines.map((line) => {
    const [, id, date, , amount] = line.trim().split(/\s+/);
    if (!id || !date || !/^\d{8}$/.test(date) || amount === undefined) throw new Error(`unexpected line in CDNOW_sample.txt: ${line}`);
    return { customerId: String(Number(id)), date: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`, amount: Number(amount) };
  });
}

/** Rounds to `digits` significant digits (for "matches the published figure to 3 significant digits"). */
export function significant(value: number, digits: number): number {
  return Number(value.toPrecision(digits));
}
