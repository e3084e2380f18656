/** A counter's value from the product's /metrics, by a pattern whose first group is the number; 0 when absent. */
export async function metricValue(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}
