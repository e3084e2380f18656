import './dashboard.css';
import type { LifecycleReport, TransitionsReport, ValueTierReport } from '../../../segments/customer-model/customer-model-types.js';
import type { CustomersOverview, CustomerView, DataQuality, DestinationsHealth, ExamplePayload, PipelineHealth, SegmentSizes } from '../dashboard-types.js';
import type { AlertView } from '../../../segments/alerts/alert-types.js';
import { renderAlerts } from './alerts-panel.js';
import { ApiError, getJson, KeyRefusedError } from './api.js';
import { clearChart, drawChurnChart, drawEventsChart, drawQualityChart, drawSegmentsChart } from './charts.js';
import { renderCustomer } from './customer-view.js';
import { loadDecisionBoard } from './decision-board.js';
import { renderDestinations } from './destinations-panel.js';
import { renderJourneys, type JourneySummary } from './journeys-panel.js';
import { byId, el, fillTable, setText } from './dom.js';
import { fmtDuration, fmtInt, fmtMoney, fmtTime } from './format.js';
import { dateInputValue, renderStageTiles, renderTransitions } from './lifecycle-panel.js';
import { renderRfmGrid } from './rfm-grid.js';
import { renderTierGrid, renderTierTable } from './value-tier-panel.js';

// sessionStorage: the key lives as long as the tab and is never written to disk or sent anywhere but here.
const KEY_STORAGE = 'cdp.dashboard.adminKey';
const REFRESH_MS = 30_000;
/** How far back the transition matrix compares by default: a month before the latest lifecycle snapshot. */
const TRANSITIONS_DEFAULT_DAYS = 30;

let adminKey: string | undefined;
let refreshTimer: number | undefined;

function showLogin(message?: string): void {
  adminKey = undefined;
  sessionStorage.removeItem(KEY_STORAGE);
  if (refreshTimer !== undefined) window.clearInterval(refreshTimer);
  byId('dashboard').hidden = true;
  byId('sign-out').hidden = true;
  byId('login').hidden = false;
  const error = byId('login-error');
  error.hidden = !message;
  error.textContent = message ?? '';
  setText('status', '');
  document.body.dataset.state = message ? 'key-refused' : 'login';
  byId<HTMLInputElement>('admin-key').focus();
}

/** Shows a section's failure inside the section, so the other sections still render. */
function sectionError(sectionId: string, message: string | undefined): void {
  const section = byId(sectionId);
  let box = section.querySelector<HTMLElement>('.section-error');
  if (!message) {
    box?.remove();
    return;
  }
  if (!box) {
    box = el('p', { class: 'section-error', role: 'alert' });
    section.querySelector('.panel-head')?.after(box);
  }
  box.textContent = `Could not load this section: ${message}`;
}

async function section(sectionId: string, load: () => Promise<void>): Promise<boolean> {
  try {
    await load();
    sectionError(sectionId, undefined);
    return true;
  } catch (err) {
    if (err instanceof KeyRefusedError) throw err;
    sectionError(sectionId, (err as Error).message);
    return false;
  }
}

async function loadPipeline(key: string): Promise<void> {
  const hours = byId<HTMLSelectElement>('hours').value;
  const health = await getJson<PipelineHealth>(`/v1/dashboard/pipeline?hours=${encodeURIComponent(hours)}`, key);
  const rejectedTotal = health.rejected.reduce((n, r) => n + r.total, 0);
  setText('accepted-total', fmtInt(health.accepted_total));
  setText('rejected-total', fmtInt(rejectedTotal));
  byId('accepted-total').dataset.value = String(health.accepted_total);
  byId('rejected-total').dataset.value = String(rejectedTotal);
  setText('queue-depth', health.queue ? `${fmtInt(health.queue.waiting)} / ${fmtInt(health.queue.active)} / ${fmtInt(health.queue.delayed)}` : 'not sampled here');
  setText('queue-failed', health.queue ? fmtInt(health.queue.failed) : '–');
  byId('queue-failed').classList.toggle('bad', (health.queue?.failed ?? 0) > 0);
  setText('lag-label', `load lag p50 / p95, last ${health.load_lag.window_minutes} min`);
  setText('load-lag', health.load_lag.events > 0 ? `${fmtDuration(health.load_lag.p50_ms)} / ${fmtDuration(health.load_lag.p95_ms)}` : 'no events');
  drawEventsChart(health);
  fillTable(
    byId<HTMLTableElement>('rejected-reasons'),
    health.rejected.map((r) => el('tr', {}, el('td', {}, r.reason), el('td', { class: 'num' }, fmtInt(r.total)))),
    'Nothing rejected in this window.',
  );
  fillTable(
    byId<HTMLTableElement>('job-runs'),
    health.jobs.map((j) =>
      el(
        'tr',
        {},
        el('td', {}, j.job),
        el('td', {}, el('span', { class: `badge ${j.status}` }, j.status)),
        el('td', {}, fmtTime(j.as_of)),
        el('td', {}, fmtTime(j.started_at)),
        el('td', { class: 'num' }, fmtDuration(j.duration_ms)),
        el('td', { class: 'num' }, fmtInt(j.rows)),
        el('td', { class: 'error-text' }, j.error),
      ),
    ),
    'No job has run yet. Jobs run on their schedule (JOBS_CRON) or with npx cdp jobs run all.',
  );
}

async function loadCustomers(key: string): Promise<void> {
  const overview = await getJson<CustomersOverview>('/v1/dashboard/customers', key);
  setText('profile-count', fmtInt(overview.profiles));
  byId('profile-count').dataset.value = String(overview.profiles);
  setText('rfm-customers', fmtInt(overview.rfm.customers));
  setText('churn-flagged', overview.churn.as_of === null ? '–' : fmtInt(overview.churn.churn_flagged));
  setText('clv-total', overview.churn.as_of === null ? '–' : fmtMoney(overview.churn.clv_total));

  const hasRfm = overview.rfm.as_of !== null;
  byId('rfm-grid').hidden = !hasRfm;
  byId('rfm-note').hidden = !hasRfm;
  byId('rfm-empty').hidden = hasRfm;
  setText('rfm-as-of', hasRfm ? `as of ${fmtTime(overview.rfm.as_of)}` : '');
  if (hasRfm) renderRfmGrid(byId<HTMLTableElement>('rfm-grid'), overview.rfm);

  const hasChurn = overview.churn.as_of !== null;
  byId('churn-chart').parentElement!.hidden = !hasChurn;
  byId('churn-empty').hidden = hasChurn;
  setText('churn-as-of', hasChurn ? `as of ${fmtTime(overview.churn.as_of)}` : '');
  if (hasChurn) drawChurnChart(overview.churn);
  else clearChart('churn-chart');

  const recs = overview.recommendations;
  setText('recommended-as-of', recs.as_of === null ? '' : `as of ${fmtTime(recs.as_of)}, ${fmtInt(recs.customers)} customers`);
  fillTable(
    byId<HTMLTableElement>('top-recommended'),
    recs.products.map((p) => el('tr', { 'data-product-id': p.product_id }, el('td', {}, p.product_id), el('td', {}, fmtInt(p.customers)), el('td', {}, fmtInt(p.first)), el('td', {}, fmtInt(p.personal)))),
    recs.as_of === null ? 'No recommendations yet: the recommendations job has not run (npx cdp jobs run recommendations).' : 'No products recommended.',
  );

  const loyalty = overview.loyalty;
  setText('loyalty-as-of', loyalty.as_of === null ? '' : `as of ${fmtTime(loyalty.as_of)}, ${fmtInt(loyalty.members)} members${loyalty.previous_as_of === null ? '' : `; change since ${fmtTime(loyalty.previous_as_of)}`}`);
  const signed = (n: number | null) => (n === null ? '–' : n > 0 ? `+${fmtInt(n)}` : fmtInt(n));
  fillTable(
    byId<HTMLTableElement>('loyalty-levels'),
    loyalty.levels.map((l) => el('tr', { 'data-level': l.level }, el('td', {}, l.level), el('td', {}, fmtInt(l.members)), el('td', {}, signed(l.change)))),
    loyalty.as_of === null ? 'No loyalty standings yet: the loyalty job has not run (npx cdp jobs run loyalty).' : 'No members.',
  );
  fillTable(
    byId<HTMLTableElement>('loyalty-months'),
    loyalty.months.map((m) => el('tr', { 'data-month': m.month }, el('td', {}, m.month), el('td', {}, fmtInt(m.issued)), el('td', {}, fmtInt(m.redeemed)), el('td', {}, fmtInt(m.expired)))),
    loyalty.as_of === null ? 'No loyalty ledger yet.' : 'No points yet.',
  );
}

async function loadSegments(key: string): Promise<void> {
  const sizes = await getJson<SegmentSizes>('/v1/dashboard/segments', key);
  const any = sizes.segments.length > 0;
  byId('segments-box').hidden = !any;
  byId('segments-box').dataset.series = String(sizes.segments.length);
  byId('segments-empty').hidden = any;
  if (any) drawSegmentsChart(sizes);
  else clearChart('segments-chart');
}

/**
 * The transitions between the two dates of the form. A date the API refuses (before the first snapshot,
 * or from after to) is said under the form, and the rest of the panel stays.
 */
async function loadTransitions(key: string): Promise<void> {
  const from = byId<HTMLInputElement>('transitions-from').value;
  const to = byId<HTMLInputElement>('transitions-to').value;
  const matrix = byId<HTMLTableElement>('transitions-matrix');
  const error = byId('transitions-error');
  const form = byId('transitions-form');
  form.dataset.state = 'loading';
  try {
    const report = await getJson<TransitionsReport>(`/v1/lifecycle/transitions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, key);
    renderTransitions(matrix, report);
    matrix.hidden = false;
    error.hidden = true;
    setText('transitions-summary', `snapshots as of ${fmtTime(Date.parse(report.from_as_of))} and ${fmtTime(Date.parse(report.to_as_of))} · ${fmtInt(report.reactivated)} reactivated`);
    byId('transitions-summary').dataset.reactivated = String(report.reactivated);
    form.dataset.state = 'shown';
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    matrix.hidden = true;
    error.hidden = false;
    error.textContent = err.message;
    setText('transitions-summary', '');
    form.dataset.state = 'refused';
  }
}

async function loadLifecycle(key: string): Promise<void> {
  const report = await getJson<LifecycleReport>('/v1/lifecycle', key);
  const has = report.as_of !== null;
  byId('lifecycle-details').hidden = !has;
  byId('lifecycle-empty').hidden = has;
  setText('lifecycle-as-of', has ? `as of ${fmtTime(Date.parse(report.as_of!))}` : '');
  if (!has) return;
  renderStageTiles(byId('lifecycle-stages'), report);
  const from = byId<HTMLInputElement>('transitions-from');
  const to = byId<HTMLInputElement>('transitions-to');
  // The viewer's own choice of dates is kept across reloads of the panel.
  if (!to.value) to.value = dateInputValue(Date.parse(report.as_of!));
  // A month back, but not before the first snapshot: a date no snapshot stands at would only be refused.
  if (!from.value) from.value = dateInputValue(Math.max(Date.parse(report.as_of!) - TRANSITIONS_DEFAULT_DAYS * 86_400_000, Date.parse(report.first_as_of!)));
  await loadTransitions(key);
}

async function loadAlerts(key: string): Promise<void> {
  const { alerts } = await getJson<{ alerts: AlertView[] }>('/v1/alerts', key);
  const firing = renderAlerts(byId<HTMLTableElement>('alerts-table'), alerts);
  setText('alerts-firing', alerts.length === 0 ? '' : firing === 0 ? 'nothing firing' : `${fmtInt(firing)} firing`);
  byId('alerts-firing').dataset.value = String(firing);
  byId('alerts-firing').className = firing > 0 ? 'badge firing' : 'muted';
}

async function loadTiers(key: string): Promise<void> {
  const report = await getJson<ValueTierReport>('/v1/value-tiers', key);
  const has = report.as_of !== null;
  byId('tiers-details').hidden = !has;
  byId('tiers-empty').hidden = has;
  setText('tiers-as-of', has ? `as of ${fmtTime(Date.parse(report.as_of!))}` : '');
  if (!has) return;
  renderTierGrid(byId<HTMLTableElement>('tier-grid'), report);
  renderTierTable(byId<HTMLTableElement>('tier-table'), report);
}

/** An example event's payload, folded under its message id. */
function examplePayload(example: ExamplePayload, message?: string): HTMLElement {
  const shown = example.payload === null ? 'the event is no longer stored' : JSON.stringify(example.payload, null, 2);
  const details = el('details', { class: 'payload' }, el('summary', {}, example.message_id), el('pre', {}, shown));
  return message ? el('div', {}, el('span', { class: 'violation-message' }, message), details) : details;
}

async function loadQuality(key: string): Promise<void> {
  const days = byId<HTMLSelectElement>('quality-days').value;
  const quality = await getJson<DataQuality>(`/v1/dashboard/data-quality?days=${encodeURIComponent(days)}`, key);
  setText('violations-total', fmtInt(quality.total));
  setText('blocked-total', fmtInt(quality.blocked));
  byId('violations-total').dataset.value = String(quality.total);
  byId('blocked-total').dataset.value = String(quality.blocked);
  const any = quality.total > 0;
  byId('quality-details').hidden = !any;
  byId('quality-details').dataset.series = String(quality.series.length);
  byId('quality-empty').hidden = any;
  if (!any) return clearChart('quality-chart');
  drawQualityChart(quality);
  fillTable(
    byId<HTMLTableElement>('offending-events'),
    quality.top_events.map((e) =>
      el('tr', {}, el('td', {}, e.plan_id), el('td', {}, e.type), el('td', {}, e.event), el('td', { class: 'num' }, fmtInt(e.violations)), el('td', { class: 'num' }, fmtInt(e.events)), el('td', {}, examplePayload(e.example))),
    ),
    'No violations in this window.',
  );
  fillTable(
    byId<HTMLTableElement>('offending-paths'),
    quality.top_paths.map((p) =>
      el('tr', {}, el('td', {}, p.plan_id), el('td', {}, p.event || p.type), el('td', {}, p.violation), el('td', {}, p.path), el('td', { class: 'num' }, fmtInt(p.violations)), el('td', {}, examplePayload(p.example, p.message))),
    ),
    'No violations in this window.',
  );
}

async function loadDestinations(key: string): Promise<void> {
  const health = await getJson<DestinationsHealth>('/v1/dashboard/destinations', key);
  renderDestinations(byId<HTMLTableElement>('destination-health'), health.destinations);
}

async function loadJourneys(key: string): Promise<void> {
  const { journeys } = await getJson<{ journeys: Omit<JourneySummary, 'stats'>[] }>('/v1/journeys', key);
  const withStats = await Promise.all(journeys.map(async (j) => ({ ...j, stats: (await getJson<{ stats: JourneySummary['stats'] }>(`/v1/journeys/${encodeURIComponent(j.id)}/stats`, key)).stats })));
  renderJourneys(byId('journey-funnels'), withStats);
}

/** Loads every section; a refused key sends the viewer back to the key form with the reason. */
async function loadAll(key: string): Promise<void> {
  setText('status', 'Loading…');
  document.body.dataset.state = 'loading';
  try {
    const results = await Promise.all([
      section('pipeline', () => loadPipeline(key)),
      section('alerts', () => loadAlerts(key)),
      section('customers', () => loadCustomers(key)),
      section('lifecycle', () => loadLifecycle(key)),
      section('value-tiers', () => loadTiers(key)),
      section('decision-board', () => loadDecisionBoard(key)),
      section('segments', () => loadSegments(key)),
      section('data-quality', () => loadQuality(key)),
      section('destinations', () => loadDestinations(key)),
      section('journeys', () => loadJourneys(key)),
    ]);
    const ok = results.every(Boolean);
    setText('status', ok ? `Updated ${new Date().toLocaleTimeString()}` : 'Some sections failed to load');
    document.body.dataset.state = ok ? 'ready' : 'error';
  } catch (err) {
    if (err instanceof KeyRefusedError) showLogin(err.message);
    else throw err;
  }
}

async function refreshPipeline(): Promise<void> {
  if (!adminKey || document.hidden) return;
  try {
    await Promise.all([section('pipeline', () => loadPipeline(adminKey!)), section('destinations', () => loadDestinations(adminKey!)), section('alerts', () => loadAlerts(adminKey!))]);
  } catch (err) {
    if (err instanceof KeyRefusedError) showLogin(err.message);
  }
}

async function refreshDecisionBoard(): Promise<void> {
  if (!adminKey) return;
  try {
    await section('decision-board', () => loadDecisionBoard(adminKey!));
  } catch (err) {
    if (err instanceof KeyRefusedError) showLogin(err.message);
  }
}

async function refreshQuality(): Promise<void> {
  if (!adminKey) return;
  try {
    await section('data-quality', () => loadQuality(adminKey!));
  } catch (err) {
    if (err instanceof KeyRefusedError) showLogin(err.message);
  }
}

function open(key: string): Promise<void> {
  adminKey = key;
  sessionStorage.setItem(KEY_STORAGE, key);
  byId('login').hidden = true;
  // Shown before loading: a chart needs a laid-out canvas to size itself.
  byId('dashboard').hidden = false;
  byId('sign-out').hidden = false;
  if (refreshTimer !== undefined) window.clearInterval(refreshTimer);
  refreshTimer = window.setInterval(() => void refreshPipeline(), REFRESH_MS);
  return loadAll(key);
}

async function compareDates(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (!adminKey) return;
  try {
    await section('lifecycle', () => loadTransitions(adminKey!));
  } catch (err) {
    if (err instanceof KeyRefusedError) showLogin(err.message);
  }
}

async function search(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (!adminKey) return;
  const value = byId<HTMLInputElement>('search-value').value.trim();
  const type = byId<HTMLSelectElement>('search-type').value;
  const result = byId('search-result');
  if (!value) return;
  result.dataset.state = 'loading';
  result.replaceChildren(el('p', { class: 'muted' }, 'Searching…'));
  try {
    const customer = await getJson<CustomerView>(`/v1/dashboard/customer?q=${encodeURIComponent(value)}&type=${encodeURIComponent(type)}`, adminKey);
    result.replaceChildren(renderCustomer(customer));
    result.dataset.state = 'found';
  } catch (err) {
    if (err instanceof KeyRefusedError) return showLogin(err.message);
    const notFound = err instanceof ApiError && err.code === 'not_found';
    result.replaceChildren(el('p', { class: notFound ? 'empty' : 'section-error' }, notFound ? `No customer matches "${value}".` : `Search failed: ${(err as Error).message}`));
    result.dataset.state = notFound ? 'not-found' : 'error';
  }
}

function report(err: unknown): void {
  setText('status', `Error: ${(err as Error).message}`);
  document.body.dataset.state = 'error';
}

function start(): void {
  byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('admin-key');
    const key = input.value.trim();
    input.value = '';
    if (key) open(key).catch(report);
  });
  byId('sign-out').addEventListener('click', () => showLogin());
  byId('hours').addEventListener('change', () => void refreshPipeline());
  byId('quality-days').addEventListener('change', () => void refreshQuality());
  byId('kpi-period').addEventListener('change', () => void refreshDecisionBoard());
  byId<HTMLFormElement>('transitions-form').addEventListener('submit', (event) => void compareDates(event).catch(report));
  byId<HTMLFormElement>('search-form').addEventListener('submit', (event) => void search(event).catch(report));
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) open(saved).catch(report);
  else showLogin();
}

start();
