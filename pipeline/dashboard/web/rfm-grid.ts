import type { RfmGrid } from '../dashboard-types.js';
import { el } from './dom.js';
import { fmtInt, fmtMoney } from './format.js';

const SCORES = [1, 2, 3, 4, 5];

/** The R × F heat map: rows R 5 (bought recently) to 1, columns F 1 to 5; colour by customers in the cell. */
export function renderRfmGrid(table: HTMLTableElement, grid: RfmGrid): void {
  const cells = new Map(grid.cells.map((c) => [`${c.r}:${c.f}`, c]));
  const most = Math.max(1, ...grid.cells.map((c) => c.customers));
  const head = el('thead', {}, el('tr', {}, el('th', { class: 'corner' }, 'R \\ F'), ...SCORES.map((f) => el('th', { scope: 'col' }, `F ${f}`))));
  const rows = [...SCORES].reverse().map((r) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, `R ${r}`),
      ...SCORES.map((f) => {
        const cell = cells.get(`${r}:${f}`);
        const customers = cell?.customers ?? 0;
        const td = el(
          'td',
          { 'data-r': String(r), 'data-f': String(f), 'data-customers': String(customers), title: cell ? `${cell.segment}: ${fmtInt(customers)} customers, ${fmtMoney(cell.revenue)} revenue` : 'no customers' },
          el('span', { class: 'count' }, fmtInt(customers)),
          el('span', { class: 'revenue' }, cell ? fmtMoney(cell.revenue) : ''),
          el('span', { class: 'segment' }, cell?.segment ?? ''),
        );
        const share = customers / most;
        td.style.backgroundColor = customers === 0 ? '' : `rgba(37, 99, 235, ${(0.1 + 0.8 * share).toFixed(3)})`;
        if (share > 0.55) td.classList.add('dark');
        return td;
      }),
    ),
  );
  table.replaceChildren(head, el('tbody', {}, ...rows));
}
