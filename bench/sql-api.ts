/** A query through the product's POST /v1/sql with an admin key: its rows, or an error with the status and answer. */
export async function sqlRows<T = Record<string, unknown>>(url: string, adminKey: string, query: string): Promise<T[]> {
  const res = await fetch(`${url}/v1/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ query }),
  });
  if (res.status !== 200) throw new Error(`POST /v1/sql answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return ((await res.json()) as { rows: T[] }).rows;
}
