import type { CohortReport, DimensionReport, KpiReport } from '../../../segments/kpis/kpi-report.js';
import type { KpiMetric } from '../../../segments/kpis/kpi-metrics.js';
import { getJson } from './api.js';
import { byId, el, fillTable, setText } from './dom.js';
import { fmtInt, fmtMoney, fmtNum } from './format.js';

// The decision board (issue "The decision board"): the KPIs of the latest `kpis` run with the previous period
// beside each figure, the cohort heat map, channels and campaigns of the latest period, the NPS trend and the
// complaints board. Every figure is the API's (GET /v1/kpis…), shown as it comes, and carried in a data-*
// attribute as a number so that it can be checked against the SQL.

type ChannelEntry = { channel: string; buyers: number; revenue: number; mean_clv: number | null; nps: number | null; nps_answers: number };
type CampaignEntry = { campaign: string; model: string; orders: number; revenue: number; cost: number | null; cost_per_order: number | null; roi: number | null };

/** The tiles, with how each figure reads. */
const TILES: { metric: KpiMetric; label: string; format: (n: number) => string }[] = [
  { metric: 'orders', label: 'orders', format: fmtInt },
  { metric: 'revenue', label: 'revenue', format: fmtMoney },
  { metric: 'aov', label: 'average order value', format: fmtNum },
  { metric: 'buyers', label: 'buyers', format: fmtInt },
  { metric: 'new_buyers', label: 'new buyers', format: fmtInt },
  { metric: 'returning_buyer_rate', label: 'returning buyers', format: percent },
  { metric: 'repeat_purchase_rate', label: 'repeat purchase rate', format: percent },
  { metric: 'retention_rate', label: 'retention', format: percent },
  { metric: 'purchase_frequency', label: 'purchase frequency', format: fmtNum },
  { metric: 'nps', label: 'NPS', format: fmtNum },
  { metric: 'complaints_open', label: 'open complaints', format: fmtInt },
  { metric: 'referral_rate', label: 'referral rate', format: percent },
];

function percent(n: number): string {
  return `${fmtNum(100 * n)} %`;
}

/** The last element (the browser bundle targets ES2020, before Array.prototype.at). */
const last = <T>(list: T[], back = 1): T | undefined => list[list.length - back];
const show = (n: number | null | undefined, format: (n: number) => string) => (n === null || n === undefined ? '–' : format(n));
const data = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

function renderTiles(report: KpiReport): void {
  const current = last(report.periods);
  const previous = last(report.periods, 2);
  setText('kpi-current', current ? `${current.period_start}${current.partial ? ' (so far)' : ''}` : '');
  byId('kpi-tiles').replaceChildren(
    ...TILES.map(({ metric, label, format }) => {
      const now = current?.metrics[metric];
      const before = previous?.metrics[metric];
      return el(
        'div',
        { class: 'tile', 'data-metric': metric, 'data-value': data(now), 'data-previous': data(before) },
        el('span', { class: 'label' }, label),
        el('span', { class: 'value' }, show(now, format)),
        el('span', { class: 'label previous' }, previous ? `previous ${previous.period_start}: ${show(before, format)}` : 'no previous period'),
      );
    }),
  );
}

/** Rows: cohorts (first order month); columns: months since; each cell the share ordering, darker for more. */
function renderCohorts(report: CohortReport): void {
  const months = Array.from({ length: 12 }, (_, i) => i);
  const head = el('thead', {}, el('tr', {}, el('th', { class: 'corner' }, 'cohort \\ month'), el('th', { scope: 'col' }, 'customers'), ...months.map((m) => el('th', { scope: 'col' }, `+${m}`))));
  const rows = report.cohorts.map((c) => {
    const byMonth = new Map(c.months.map((m) => [m.months_since, m]));
    return el(
      'tr',
      { 'data-cohort': c.cohort_month },
      el('th', { scope: 'row' }, c.cohort_month.slice(0, 7)),
      el('td', { class: 'num' }, fmtInt(c.customers)),
      ...months.map((m) => {
        const cell = byMonth.get(m);
        if (!cell) return el('td', { class: 'none' });
        const td = el(
          'td',
          { 'data-cohort': c.cohort_month, 'data-month': String(m), 'data-share': String(cell.share), 'data-revenue-per-customer': String(cell.revenue_per_customer), title: `${fmtInt(cell.active_customers)} of ${fmtInt(c.customers)} ordered; ${fmtNum(cell.revenue_per_customer)} revenue per customer` },
          percent(cell.share),
        );
        td.style.backgroundColor = `rgba(37, 99, 235, ${(0.08 + 0.8 * cell.share).toFixed(3)})`;
        if (cell.share > 0.55) td.classList.add('dark');
        return td;
      }),
    );
  });
  byId<HTMLTableElement>('cohort-heatmap').replaceChildren(head, el('tbody', {}, ...rows));
}

function renderChannels(report: DimensionReport<ChannelEntry>): void {
  const latest = last(report.periods);
  fillTable(
    byId<HTMLTableElement>('channel-table'),
    (latest?.entries ?? []).map((c) =>
      el(
        'tr',
        { 'data-channel': c.channel, 'data-buyers': String(c.buyers), 'data-revenue': String(c.revenue), 'data-nps': data(c.nps) },
        el('td', {}, c.channel),
        el('td', { class: 'num' }, fmtInt(c.buyers)),
        el('td', { class: 'num' }, fmtMoney(c.revenue)),
        el('td', { class: 'num' }, show(c.mean_clv, fmtMoney)),
        el('td', { class: 'num' }, show(c.nps, fmtNum)),
      ),
    ),
    'No channel figures in this period.',
  );
}

function renderCampaigns(report: DimensionReport<CampaignEntry>): void {
  const latest = last(report.periods);
  fillTable(
    byId<HTMLTableElement>('campaign-table'),
    (latest?.entries ?? []).map((c) =>
      el(
        'tr',
        { 'data-campaign': c.campaign, 'data-model': c.model, 'data-orders': String(c.orders), 'data-revenue': String(c.revenue), 'data-roi': data(c.roi) },
        el('td', {}, c.campaign),
        el('td', {}, c.model === 'last_touch' ? 'last touch' : 'first touch'),
        el('td', { class: 'num' }, fmtInt(c.orders)),
        el('td', { class: 'num' }, fmtMoney(c.revenue)),
        el('td', { class: 'num' }, show(c.cost, fmtMoney)),
        el('td', { class: 'num' }, show(c.roi, percent)),
      ),
    ),
    'No campaign figures in this period.',
  );
}

function renderNps(report: KpiReport): void {
  fillTable(
    byId<HTMLTableElement>('nps-trend'),
    report.periods
      .filter((p) => p.metrics.nps_answers)
      .map((p) =>
        el(
          'tr',
          { 'data-period': p.period_start, 'data-nps': data(p.metrics.nps), 'data-answers': data(p.metrics.nps_answers) },
          el('td', {}, `${p.period_start}${p.partial ? ' (so far)' : ''}`),
          el('td', { class: 'num' }, show(p.metrics.nps, fmtNum)),
          el('td', { class: 'num' }, show(p.metrics.nps_promoters, fmtInt)),
          el('td', { class: 'num' }, show(p.metrics.nps_passives, fmtInt)),
          el('td', { class: 'num' }, show(p.metrics.nps_detractors, fmtInt)),
        ),
      ),
    'No NPS answers yet (Survey Responded with survey "nps").',
  );
}

function renderComplaints(report: KpiReport): void {
  fillTable(
    byId<HTMLTableElement>('complaints-board'),
    report.periods
      .filter((p) => p.metrics.complaints_opened !== null && p.metrics.complaints_opened !== undefined)
      .map((p) =>
        el(
          'tr',
          { 'data-period': p.period_start, 'data-open': data(p.metrics.complaints_open), 'data-opened': data(p.metrics.complaints_opened), 'data-resolved': data(p.metrics.complaints_resolved) },
          el('td', {}, `${p.period_start}${p.partial ? ' (so far)' : ''}`),
          el('td', { class: 'num' }, show(p.metrics.complaints_opened, fmtInt)),
          el('td', { class: 'num' }, show(p.metrics.complaints_resolved, fmtInt)),
          el('td', { class: 'num' }, show(p.metrics.complaints_open, fmtInt)),
          el('td', { class: 'num' }, show(p.metrics.complaint_median_hours, fmtNum)),
          el('td', { class: 'num' }, show(p.metrics.complaint_reopen_rate, percent)),
        ),
      ),
    'No complaints yet (Complaint Opened).',
  );
}

/** Loads the decision board for the period kind chosen; says what to run before the first `kpis` run. */
export async function loadDecisionBoard(key: string): Promise<void> {
  const period = byId<HTMLSelectElement>('kpi-period').value;
  const q = `period=${encodeURIComponent(period)}`;
  const [kpis, cohorts, channels, campaigns] = await Promise.all([
    getJson<KpiReport>(`/v1/kpis?${q}`, key),
    getJson<CohortReport>('/v1/kpis/cohorts', key),
    getJson<DimensionReport<ChannelEntry>>(`/v1/kpis/channels?${q}`, key),
    getJson<DimensionReport<CampaignEntry>>(`/v1/kpis/campaigns?${q}`, key),
  ]);
  const has = kpis.as_of !== null;
  byId('kpi-details').hidden = !has;
  byId('kpi-empty').hidden = has;
  setText('kpi-as-of', has ? `as of ${kpis.as_of} (${kpis.time_zone})` : '');
  if (!has) return;
  renderTiles(kpis);
  renderCohorts(cohorts);
  renderChannels(channels);
  renderCampaigns(campaigns);
  renderNps(kpis);
  renderComplaints(kpis);
}
