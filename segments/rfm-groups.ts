// The RFM segment of every (R, F) score pair, as data in one place. Rows are recency scores 5 (bought most
// recently) down to 1; columns are frequency scores 1 to 5. Every one of the 25 cells holds exactly one
// name, so the map is total and non-overlapping by construction, unlike the common published maps whose
// rules overlap (a customer can be both "Loyal" and "Potential Loyalist" there). The monetary score is
// kept per profile but does not change the segment, as in the classic R x F grid.

export const RFM_GROUPS = [
  'Champions',
  'Loyal',
  'Potential Loyalist',
  'New',
  'Promising',
  'Need Attention',
  'About to Sleep',
  'At Risk',
  "Can't Lose Them",
  'Hibernating',
  'Lost',
] as const;
export type RfmGroup = (typeof RFM_GROUPS)[number];

//                 F = 1            2                     3                     4         5
const GRID: Record<1 | 2 | 3 | 4 | 5, [RfmGroup, RfmGroup, RfmGroup, RfmGroup, RfmGroup]> = {
  5: ['New', 'Potential Loyalist', 'Potential Loyalist', 'Loyal', 'Champions'],
  4: ['Promising', 'Potential Loyalist', 'Potential Loyalist', 'Loyal', 'Champions'],
  3: ['About to Sleep', 'About to Sleep', 'Need Attention', 'Loyal', 'Loyal'],
  2: ['Hibernating', 'Hibernating', 'At Risk', 'At Risk', "Can't Lose Them"],
  1: ['Lost', 'Lost', 'At Risk', 'At Risk', "Can't Lose Them"],
};

export function rfmGroup(r: number, f: number): RfmGroup {
  const row = GRID[r as 1 | 2 | 3 | 4 | 5];
  const name = row?.[f - 1];
  if (!name) throw new RangeError(`RFM scores must be 1-5; got r=${r}, f=${f}`);
  return name;
}

/** The map as the rfm job's SQL reads it: 25 names, the one for (r, f) at index (r - 1) * 5 + f (1-based). */
export function rfmGroupMapParameter(): string[] {
  const out: string[] = [];
  for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) out.push(rfmGroup(r, f));
  return out;
}
