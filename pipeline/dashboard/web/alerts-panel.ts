import type { AlertView } from '../../../segments/alerts/alert-types.js';
import { el, fillTable } from './dom.js';
import { fmtNum, fmtTime } from './format.js';

// The alerts panel: every alert with its live state, what is firing first.

const ORDER = { firing: 0, resolved: 1, ok: 2 } as const;

/** The rule in words: `> 3 for 2 min`, or `anomaly (3 MAD, ≥ 5)`. */
function rule(alert: AlertView): string {
  if (alert.threshold) {
    const op = { gt: '>', gte: '≥', lt: '<', lte: '≤' }[alert.threshold.op];
    return `${op} ${fmtNum(alert.threshold.value)}${alert.threshold.for_minutes > 1 ? ` for ${alert.threshold.for_minutes} min` : ''}`;
  }
  return `anomaly (${fmtNum(alert.anomaly!.sensitivity)} MAD, change ≥ ${fmtNum(alert.anomaly!.min_change)})`;
}

/** One row per alert, firing ones first; answers how many fire. */
export function renderAlerts(table: HTMLTableElement, alerts: AlertView[]): number {
  const sorted = [...alerts].sort((a, b) => ORDER[a.state.state] - ORDER[b.state.state] || a.id.localeCompare(b.id));
  const time = (iso: string | null) => fmtTime(iso === null ? null : Date.parse(iso));
  fillTable(
    table,
    sorted.map((a) =>
      el(
        'tr',
        { 'data-alert': a.id, 'data-state': a.state.state, 'data-value': a.state.value === null ? '' : String(a.state.value) },
        el('td', {}, a.name, ' ', el('span', { class: 'stage-name' }, a.id)),
        el('td', {}, el('span', { class: 'stage-name' }, a.metric)),
        el('td', {}, rule(a)),
        el('td', {}, el('span', { class: `badge ${a.state.state}` }, a.state.state)),
        el('td', {}, time(a.state.since)),
        el('td', { class: 'num' }, a.state.value === null ? '–' : fmtNum(a.state.value)),
        el('td', {}, time(a.state.evaluated_at)),
      ),
    ),
    'No alerts defined (PUT /v1/alerts/:id).',
  );
  return alerts.filter((a) => a.state.state === 'firing').length;
}
