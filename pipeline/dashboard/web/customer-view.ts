import type { CustomerView } from '../dashboard-types.js';
import { el } from './dom.js';
import { fmtInt, fmtMoney, fmtNum, fmtTime } from './format.js';

const MATCHED: Record<CustomerView['matched']['type'], string> = {
  profile_id: 'profile id',
  email: 'email',
  user_id: 'user id',
  anonymous_id: 'anonymous id',
  phone: 'phone',
};

function table(headers: string[], rows: (Node | string)[][], empty: string): HTMLElement {
  if (rows.length === 0) return el('p', { class: 'empty' }, empty);
  return el(
    'table',
    { class: 'data' },
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
  );
}

function block(title: string, body: HTMLElement, id: string): HTMLElement {
  return el('div', { class: 'block', id }, el('h3', {}, title), body);
}

function describeEvent(e: CustomerView['events'][number]): string {
  if (e.type === 'track') return e.event;
  if (e.type === 'page' || e.type === 'screen') return e.name ? `${e.type}: ${e.name}` : e.type;
  return e.type;
}

function eventDetail(e: CustomerView['events'][number]): string {
  const parts: string[] = [];
  if (e.order_id) parts.push(`order ${e.order_id}`);
  if (e.revenue !== null) parts.push(`${fmtNum(e.revenue)} ${e.currency}`.trim());
  if (parts.length === 0) {
    const props = JSON.stringify(e.properties);
    if (props !== '{}') parts.push(props.length > 120 ? `${props.slice(0, 117)}...` : props);
  }
  return parts.join(' · ');
}

/** A computed trait's value as shown: a number formatted, a list joined, nothing as a dash. */
function traitValue(value: CustomerView['computed_traits'][number]['value']): string {
  if (value === null) return '–';
  if (Array.isArray(value)) return value.length === 0 ? '–' : value.join(', ');
  return typeof value === 'number' ? fmtNum(value) : value;
}

/** Why a product is recommended, as people read it: `bought_with:A` is "bought with A". */
function reasonText(reason: string): string {
  const cut = reason.indexOf(':');
  const kind = reason.slice(0, cut);
  if (cut > 0 && kind === 'bought_with') return `bought with ${reason.slice(cut + 1)}`;
  if (cut > 0 && kind === 'viewed') return `viewed ${reason.slice(cut + 1)}`;
  return reason;
}

/** One customer: who they are (identities, traits), how they were stitched, where they stand, what to offer them, what they did. */
export function renderCustomer(c: CustomerView): HTMLElement {
  const scores = el(
    'dl',
    { class: 'facts' },
    el('dt', {}, 'RFM'),
    el('dd', {}, c.rfm ? `${c.rfm.segment} (R${c.rfm.r} F${c.rfm.f} M${c.rfm.m}; ${c.rfm.frequency} orders, ${fmtMoney(c.rfm.monetary)}, last ${c.rfm.recency_days} days ago)` : 'not scored'),
    el('dt', {}, 'P(alive)'),
    el('dd', {}, c.churn ? `${fmtNum(c.churn.p_alive)}${c.churn.churn_flag ? ' · churn-flagged' : ''}` : 'not scored'),
    el('dt', {}, 'CLV'),
    el('dd', {}, c.churn ? fmtMoney(c.churn.clv) : '–'),
    el('dt', {}, 'Lifecycle'),
    el(
      'dd',
      { id: 'customer-lifecycle', 'data-stage': c.lifecycle?.stage ?? '' },
      c.lifecycle ? `${c.lifecycle.meaning} (${c.lifecycle.stage}) since ${fmtTime(c.lifecycle.since)}` : 'no stage yet',
    ),
    el('dt', {}, 'Value tier'),
    el(
      'dd',
      { id: 'customer-value-tier', 'data-tier': c.value_tier?.tier ?? '' },
      c.value_tier
        ? `${c.value_tier.meaning} (${c.value_tier.tier}; ${fmtMoney(c.value_tier.historical_value)} so far, ${fmtMoney(c.value_tier.predicted_value)} predicted)`
        : c.lifecycle?.stage === 'prospect'
          ? 'none (a prospect)'
          : 'no tier yet',
    ),
  );
  return el(
    'article',
    { class: 'customer', 'data-profile-id': c.profile_id },
    el(
      'header',
      {},
      el('h3', {}, c.profile_id),
      el('span', { class: 'muted' }, `found by ${MATCHED[c.matched.type]} "${c.matched.value}"${c.requested_profile_id ? `, merged from ${c.requested_profile_id}` : ''}`),
    ),
    el(
      'div',
      { class: 'grid-3' },
      block('Identities', table(['type', 'value'], c.identifiers.map((i) => [i.type, i.value]), 'No identifiers.'), 'customer-identities'),
      block('Traits', table(['trait', 'value', 'updated'], c.traits.map((t) => [t.trait, t.value, fmtTime(t.updated_at)]), 'No traits.'), 'customer-traits'),
      block('Scores', scores, 'customer-scores'),
    ),
    el(
      'div',
      { class: 'grid-3' },
      block(
        'Computed traits',
        table(
          ['trait', 'value', 'as of'],
          c.computed_traits.map((t) => [el('span', { title: `${t.trait_id} (${t.kind})` }, t.name), traitValue(t.value), fmtTime(t.as_of)]),
          'No computed traits defined.',
        ),
        'customer-computed-traits',
      ),
      block('Segments', table(['segment', 'member since'], c.segments.map((s) => [s.name, fmtTime(s.since)]), 'In no segment.'), 'customer-segments'),
      block(
        'Merges',
        table(
          ['when', 'kind', 'rule', 'identifier'],
          c.merges.map((m) => [fmtTime(Date.parse(`${String(m.at).replace(' ', 'T')}Z`)), String(m.kind ?? ''), String(m.rule ?? ''), `${String(m.identifier_type ?? '')} ${String(m.identifier ?? '')}`.trim()]),
          'Never merged.',
        ),
        'customer-merges',
      ),
    ),
    block(
      'Recommendations',
      table(
        ['rank', 'product', 'score', 'why'],
        c.recommendations.map((r) => [String(r.rank), r.product_id, fmtNum(r.score), el('span', { title: r.reason }, reasonText(r.reason))]),
        'No recommendations yet.',
      ),
      'customer-recommendations',
    ),
    block(
      'Loyalty',
      c.loyalty
        ? el(
            'div',
            {},
            el('p', { id: 'customer-loyalty-standing', 'data-level': c.loyalty.level }, `${c.loyalty.level}, ${fmtInt(c.loyalty.points)} points (${fmtInt(c.loyalty.expiring_30d)} expiring within 30 days; as of ${fmtTime(c.loyalty.as_of)})`),
            table(['when', 'entry', 'points', 'status'], c.loyalty.entries.map((e) => [fmtTime(e.occurred_at), e.kind, fmtInt(e.points), e.status]), 'No ledger entries.'),
          )
        : el('p', { class: 'empty' }, 'No loyalty standing yet.'),
      'customer-loyalty',
    ),
    block(
      `Timeline (latest ${c.events.length})`,
      table(['time', 'event', 'details'], c.events.map((e) => [fmtTime(e.timestamp), describeEvent(e), eventDetail(e)]), 'No events.'),
      'customer-timeline',
    ),
  );
}
