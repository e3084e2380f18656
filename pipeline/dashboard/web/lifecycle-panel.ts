import { STAGE_MEANING, LIFECYCLE_STAGES, type LifecycleStage } from '../../../segments/customer-states.js';
import { type LifecycleReport, type TransitionsReport } from '../../../segments/customer-model/customer-model-types.js';
import { el } from './dom.js';
import { fmtInt } from './format.js';

// The lifecycle panel: profiles per stage (one tile each) and the transition matrix between two dates.

const FROM: (LifecycleStage | '')[] = ['', ...LIFECYCLE_STAGES];
const TO: (LifecycleStage | '')[] = [...LIFECYCLE_STAGES, ''];

/** A stage with its meaning first, as the retail CRM names it: "成熟 active". */
function stageLabel(stage: LifecycleStage | '', missing: string): (Node | string)[] {
  if (stage === '') return [el('span', { class: 'stage-name' }, missing)];
  return [el('span', { class: 'meaning' }, STAGE_MEANING[stage]), ' ', el('span', { class: 'stage-name' }, stage)];
}

/** One tile per stage, in lifecycle order, with its share of the profiles. */
export function renderStageTiles(box: HTMLElement, report: LifecycleReport): void {
  const total = report.stages.reduce((n, s) => n + s.profiles, 0);
  box.replaceChildren(
    ...report.stages.map((s) =>
      el(
        'div',
        { class: 'tile', 'data-stage': s.stage, 'data-profiles': String(s.profiles) },
        el('span', { class: 'label' }, `${s.meaning} · ${s.stage}`),
        el('span', { class: 'value' }, fmtInt(s.profiles)),
        el('span', { class: 'label' }, total > 0 ? `${Math.round((100 * s.profiles) / total)} % of ${fmtInt(total)}` : '–'),
      ),
    ),
  );
}

/** Rows: the stage at `from` ('' = not yet a profile); columns: the stage at `to` ('' = gone); colour by profiles. */
export function renderTransitions(table: HTMLTableElement, report: TransitionsReport): void {
  const cells = new Map(report.transitions.map((t) => [`${t.from_stage}>${t.to_stage}`, t.profiles]));
  const most = Math.max(1, ...report.transitions.map((t) => t.profiles));
  const head = el('thead', {}, el('tr', {}, el('th', { class: 'corner' }, 'from \\ to'), ...TO.map((to) => el('th', { scope: 'col' }, ...stageLabel(to, 'gone')))));
  const rows = FROM.map((from) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, ...stageLabel(from, 'new profile')),
      ...TO.map((to) => {
        if (from === '' && to === '') return el('td', { class: 'none' });
        const profiles = cells.get(`${from}>${to}`) ?? 0;
        const td = el('td', { 'data-from': from, 'data-to': to, 'data-profiles': String(profiles), title: `${from || 'new profile'} → ${to || 'gone'}: ${fmtInt(profiles)} profiles` }, fmtInt(profiles));
        if (from === to) td.classList.add('stayed');
        const share = profiles / most;
        td.style.backgroundColor = profiles === 0 ? '' : `rgba(37, 99, 235, ${(0.1 + 0.8 * share).toFixed(3)})`;
        if (share > 0.55) td.classList.add('dark');
        return td;
      }),
    ),
  );
  table.replaceChildren(head, el('tbody', {}, ...rows));
}

/** A date input's value (YYYY-MM-DD) for an instant, in the viewer's time zone. */
export function dateInputValue(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
