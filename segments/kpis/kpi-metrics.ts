// The KPIs the `kpis` job writes (sql/jobs/kpis.sql defines each), in the order a report lists them, and the
// periods it writes them for.

export const KPI_METRICS = [
  'orders',
  'revenue',
  'aov',
  'buyers',
  'new_buyers',
  'returning_buyer_rate',
  'repeat_purchase_rate',
  'retention_rate',
  'purchase_frequency',
  'orders_other_currency',
  'nps',
  'nps_answers',
  'nps_promoters',
  'nps_passives',
  'nps_detractors',
  'complaints_opened',
  'complaints_resolved',
  'complaints_open',
  'complaint_median_hours',
  'complaint_reopen_rate',
  'referrers',
  'referrals_sent',
  'referral_conversions',
  'referral_rate',
] as const;
export type KpiMetric = (typeof KPI_METRICS)[number];

export const KPI_PERIODS = ['day', 'week', 'month'] as const;
export type KpiPeriod = (typeof KPI_PERIODS)[number];
