/** The element with this id; a missing one is a bug in the page, said plainly. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`dashboard: no element #${id} in the page`);
  return el as T;
}

/** Creates an element with text content only: values from the server never go through innerHTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

/** Replaces a table body's rows; `empty` is shown in one full-width row when there are none. */
export function fillTable(table: HTMLTableElement, rows: HTMLTableRowElement[], empty: string): void {
  const body = table.tBodies[0] ?? table.createTBody();
  const columns = table.tHead?.rows[0]?.cells.length ?? 1;
  body.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: String(columns), class: 'empty' }, empty))]));
}
