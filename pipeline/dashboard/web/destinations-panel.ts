import type { DestinationHealth } from '../dashboard-types.js';
import { el, fillTable } from './dom.js';
import { fmtInt, fmtTime } from './format.js';

// The event destinations panel: one row per destination, with what it delivered, what waits and what failed.

const STATE_BADGE: Record<DestinationHealth['state'], string> = { ok: 'succeeded', failing: 'failed', disabled: 'failed', paused: 'running' };

export function renderDestinations(table: HTMLTableElement, destinations: DestinationHealth[]): void {
  fillTable(
    table,
    destinations.map((d) => {
      const state = d.state === 'failing' && d.failing_since !== null ? `failing since ${fmtTime(d.failing_since)}` : d.state;
      const error = d.last_error === null ? '–' : `${fmtTime(d.last_error_at)}: ${d.last_error}`;
      return el(
        'tr',
        { 'data-destination': d.id, 'data-state': d.state, 'data-delivered': String(d.delivered_24h), 'data-backlog': String(d.backlog), 'data-dead-letters': String(d.dead_letters) },
        el('td', {}, d.name, ' ', el('span', { class: 'stage-name' }, `${d.id} · ${d.format}`)),
        el('td', {}, el('span', { class: `badge ${STATE_BADGE[d.state]}` }, state)),
        el('td', { class: 'num' }, fmtInt(d.delivered_24h)),
        el('td', { class: 'num' }, fmtInt(d.backlog)),
        el('td', { class: 'num' }, fmtInt(d.dead_letters)),
        el('td', { class: 'last-error' }, error),
      );
    }),
    'No event destinations.',
  );
}
