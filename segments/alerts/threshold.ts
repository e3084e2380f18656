import type { ThresholdOp } from './alert-types.js';

/** Whether a value meets a threshold's condition. */
export function meets(value: number, threshold: { op: ThresholdOp; value: number }): boolean {
  switch (threshold.op) {
    case 'gt':
      return value > threshold.value;
    case 'gte':
      return value >= threshold.value;
    case 'lt':
      return value < threshold.value;
    case 'lte':
      return value <= threshold.value;
  }
}
