import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { ChurnDistribution, DataQuality, PipelineHealth, SegmentSizes } from '../dashboard-types.js';
import { byId } from './dom.js';
import { fmtDate, fmtInt, fmtMinute, fmtTime } from './format.js';

// Only the pieces these three charts use, so the bundle carries no other chart types.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || 'system-ui, sans-serif';
Chart.defaults.color = '#475467';

const ACCEPTED = '#2563eb';
const REJECTED = ['#dc2626', '#ea580c', '#d97706', '#be185d', '#7c3aed', '#92400e'];
const SERIES = ['#2563eb', '#16a34a', '#ea580c', '#7c3aed', '#0891b2', '#be185d', '#65a30d', '#b45309', '#4f46e5', '#dc2626'];

const charts = new Map<string, Chart>();

/** Draws a chart on a canvas, replacing the one drawn there before. Animation is off: charts show at once. */
function draw(canvasId: string, config: ChartConfiguration): void {
  charts.get(canvasId)?.destroy();
  const canvas = byId<HTMLCanvasElement>(canvasId);
  const chart = new Chart(canvas, {
    ...config,
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options },
  });
  charts.set(canvasId, chart);
}

export function drawEventsChart(health: PipelineHealth): void {
  const labels = health.minutes.map(fmtMinute);
  draw('events-chart', {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: 'accepted', data: health.accepted, borderColor: ACCEPTED, backgroundColor: ACCEPTED, borderWidth: 2, pointRadius: 0, tension: 0.2 },
        ...health.rejected.map((r, i) => {
          const colour = REJECTED[i % REJECTED.length]!;
          return { label: `rejected: ${r.reason}`, data: r.counts, borderColor: colour, backgroundColor: colour, borderWidth: 2, pointRadius: 0, tension: 0.2 };
        }),
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { ticks: { maxTicksLimit: 8, maxRotation: 0 }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  });
}

export function drawChurnChart(churn: ChurnDistribution): void {
  const width = 1 / churn.bins.length;
  const labels = churn.bins.map((_, i) => `${(i * width).toFixed(1)}–${((i + 1) * width).toFixed(1)}`);
  draw('churn-chart', {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'customers',
          data: churn.bins,
          // Low P(alive) is the worrying end: red there, fading to green.
          backgroundColor: churn.bins.map((_, i) => `hsl(${Math.round((i / (churn.bins.length - 1)) * 130)}, 65%, 50%)`),
          borderRadius: 3,
        },
      ],
    },
    options: {
      scales: {
        x: { title: { display: true, text: 'P(alive)' }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'customers' } },
      },
      plugins: { legend: { display: false } },
    },
  });
}

export function drawSegmentsChart(sizes: SegmentSizes): void {
  draw('segments-chart', {
    type: 'line',
    data: {
      datasets: sizes.segments.map((s, i) => {
        const colour = SERIES[i % SERIES.length]!;
        return {
          label: s.name,
          data: s.points.map((p) => ({ x: p.as_of, y: p.size })),
          borderColor: colour,
          backgroundColor: colour,
          borderWidth: 2,
          pointRadius: s.points.length > 60 ? 0 : 3,
        };
      }),
    },
    options: {
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        // A linear axis of epoch milliseconds: no date adapter needed.
        x: { type: 'linear', ticks: { maxTicksLimit: 8, maxRotation: 0, callback: (v) => fmtDate(Number(v)) }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'members' } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: { callbacks: { title: (items) => fmtTime(Number(items[0]?.parsed.x)), label: (item) => `${item.dataset.label}: ${fmtInt(Number(item.parsed.y))}` } },
      },
    },
  });
}

/** Violations per bucket, stacked by plan and violation type. */
export function drawQualityChart(quality: DataQuality): void {
  const hourly = quality.bucket_ms < 86_400_000;
  draw('quality-chart', {
    type: 'bar',
    data: {
      labels: quality.buckets.map((b) => (hourly ? fmtTime(b) : fmtDate(b))),
      datasets: quality.series.map((s, i) => {
        const colour = SERIES[i % SERIES.length]!;
        return { label: `${s.plan_id}: ${s.violation}`, data: s.counts, backgroundColor: colour, borderColor: colour };
      }),
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked: true, ticks: { maxTicksLimit: 8, maxRotation: 0 }, grid: { display: false } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'violations' } },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  });
}

export function clearChart(canvasId: string): void {
  charts.get(canvasId)?.destroy();
  charts.delete(canvasId);
}
