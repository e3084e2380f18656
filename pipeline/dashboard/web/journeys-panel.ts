import type { JourneyStats } from '../../../journeys/journey-stats.js';
import { el } from './dom.js';
import { fmtInt } from './format.js';

// The journeys panel: for each journey its step funnel (how many instances reached each step, as a bar
// against those that entered) and its goal rate.

export interface JourneySummary {
  id: string;
  name: string;
  version: number;
  paused: boolean;
  stats: JourneyStats;
}

const pct = (n: number, of: number) => (of === 0 ? '–' : `${Math.round((100 * n) / of)} %`);

function funnel(stats: JourneyStats): HTMLElement {
  return el(
    'table',
    { class: 'data funnel' },
    el('thead', {}, el('tr', {}, el('th', {}, 'step'), el('th', { class: 'num' }, 'reached'), el('th', {}, 'of entered'))),
    el(
      'tbody',
      {},
      ...stats.steps.map((s) => {
        const share = stats.entered === 0 ? 0 : Math.min(1, s.reached / stats.entered);
        const bar = el('span', { class: 'funnel-bar' });
        bar.style.width = `${(100 * share).toFixed(1)}%`;
        return el('tr', { 'data-step': s.step, 'data-reached': String(s.reached) }, el('td', {}, s.step), el('td', { class: 'num' }, fmtInt(s.reached)), el('td', { class: 'funnel-cell', title: pct(s.reached, stats.entered) }, bar));
      }),
    ),
  );
}

export function renderJourneys(box: HTMLElement, journeys: JourneySummary[]): void {
  if (journeys.length === 0) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No journeys. PUT /v1/journeys/:id makes one.'));
    return;
  }
  box.replaceChildren(
    ...journeys.map((j) => {
      const s = j.stats;
      const sent = `${fmtInt(s.sent)} sent, ${fmtInt(Object.values(s.suppressed).reduce((a, b) => a + b, 0))} suppressed, ${fmtInt(Object.values(s.failed).reduce((a, b) => a + b, 0))} failed`;
      return el(
        'div',
        { class: 'journey', 'data-journey': j.id, 'data-entered': String(s.entered), 'data-goal-rate': s.goal_rate.toFixed(4) },
        el('h3', {}, j.name, ' ', el('span', { class: 'stage-name' }, `${j.id} · v${j.version}`), ' ', el('span', { class: `badge ${j.paused ? 'running' : 'succeeded'}` }, j.paused ? 'paused' : 'on')),
        el(
          'div',
          { class: 'tiles' },
          el('div', { class: 'tile' }, el('span', { class: 'label' }, 'entered'), el('span', { class: 'value' }, fmtInt(s.entered))),
          el('div', { class: 'tile' }, el('span', { class: 'label' }, 'active now'), el('span', { class: 'value' }, fmtInt(s.active))),
          el('div', { class: 'tile' }, el('span', { class: 'label' }, 'reached the goal'), el('span', { class: 'value goal-rate' }, pct(s.reached_goal, s.entered)), el('span', { class: 'label' }, `${fmtInt(s.reached_goal)} of ${fmtInt(s.entered)}`)),
          el('div', { class: 'tile' }, el('span', { class: 'label' }, 'messages'), el('span', { class: 'label' }, sent)),
        ),
        funnel(s),
      );
    }),
  );
}
