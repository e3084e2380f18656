// The names of the customer states the lifecycle and value-tiers jobs write (sql/jobs/lifecycle.sql,
// value-tiers.sql), as the APIs, segment conditions and job summaries spell them, in the customer's order
// (the jobs try the rules in another). The retail seeds' names are their meaning, for the dashboard.

/** prospect 潜在, new 新, active 成熟, at_risk 衰退, lost 流失. */
export const LIFECYCLE_STAGES = ['prospect', 'new', 'active', 'at_risk', 'lost'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** What each stage means, in the words of the retail CRM the model follows. */
export const STAGE_MEANING: Record<LifecycleStage, string> = { prospect: '潜在', new: '新', active: '成熟', at_risk: '衰退', lost: '流失' };

/** high_value 高价值, potential 潜力, ordinary 一般, low 低价值. */
export const VALUE_TIERS = ['high_value', 'potential', 'ordinary', 'low'] as const;
export type ValueTier = (typeof VALUE_TIERS)[number];

export const TIER_MEANING: Record<ValueTier, string> = { high_value: '高价值', potential: '潜力', ordinary: '一般', low: '低价值' };
