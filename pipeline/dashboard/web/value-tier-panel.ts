import { TIER_MEANING, VALUE_TIERS } from '../../../segments/customer-states.js';
import { QUINTILES, type ValueTierReport } from '../../../segments/customer-model/customer-model-types.js';
import { el, fillTable } from './dom.js';
import { fmtInt, fmtMoney } from './format.js';

// The value-tier panel: the historical × predicted value grid and the figures per tier.

/**
 * Rows: historical value quintile 5 (top fifth) to 1; columns: predicted value quintile 1 to 5. Each cell:
 * customers, their revenue, and how many of them fall in each tier; colour by customers.
 */
export function renderTierGrid(table: HTMLTableElement, report: ValueTierReport): void {
  const cells = new Map(report.grid.map((c) => [`${c.historical_quintile}:${c.predicted_quintile}`, c]));
  const most = Math.max(1, ...report.grid.map((c) => c.profiles));
  const head = el('thead', {}, el('tr', {}, el('th', { class: 'corner' }, 'hist. \\ pred.'), ...QUINTILES.map((p) => el('th', { scope: 'col' }, `P ${p}`))));
  const rows = [...QUINTILES].reverse().map((h) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, `H ${h}`),
      ...QUINTILES.map((p) => {
        const cell = cells.get(`${h}:${p}`);
        const profiles = cell?.profiles ?? 0;
        const mix = cell ? VALUE_TIERS.filter((t) => cell.tiers[t] > 0).map((t) => `${TIER_MEANING[t]} ${fmtInt(cell.tiers[t])}`) : [];
        const td = el(
          'td',
          { 'data-h': String(h), 'data-p': String(p), 'data-profiles': String(profiles), title: profiles > 0 ? `${fmtInt(profiles)} customers, ${fmtMoney(cell!.revenue)} revenue: ${mix.join(', ')}` : 'no customers' },
          el('span', { class: 'count' }, fmtInt(profiles)),
          el('span', { class: 'revenue' }, profiles > 0 ? fmtMoney(cell!.revenue) : ''),
          el('span', { class: 'segment mix' }, mix.join(' · ')),
        );
        const share = profiles / most;
        td.style.backgroundColor = profiles === 0 ? '' : `rgba(5, 150, 105, ${(0.1 + 0.8 * share).toFixed(3)})`;
        if (share > 0.55) td.classList.add('dark');
        return td;
      }),
    ),
  );
  table.replaceChildren(head, el('tbody', {}, ...rows));
}

/** One row per tier, from the most valuable: customers, revenue, mean predicted value. */
export function renderTierTable(table: HTMLTableElement, report: ValueTierReport): void {
  fillTable(
    table,
    report.tiers.map((t) =>
      el(
        'tr',
        { 'data-tier': t.tier, 'data-profiles': String(t.profiles), 'data-revenue': String(t.revenue) },
        el('td', {}, el('span', { class: 'meaning' }, t.meaning), ' ', el('span', { class: 'stage-name' }, t.tier)),
        el('td', { class: 'num' }, fmtInt(t.profiles)),
        el('td', { class: 'num' }, fmtMoney(t.revenue)),
        el('td', { class: 'num' }, t.mean_predicted_value === null ? '–' : fmtMoney(t.mean_predicted_value)),
      ),
    ),
    'No tiers.',
  );
}
