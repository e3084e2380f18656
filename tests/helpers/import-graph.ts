import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

// The folder-level import graph of the product and the rule it must keep (README, Layout): the shared
// base imports nothing else of ours, features import the base and each other one way, and only process
// start-up and the CLI import everything.

/** The shared base, in its own one-way order: a folder may import only the folders before it. */
export const BASE = ['pipeline/core', 'pipeline/clickhouse', 'pipeline/redis', 'pipeline/auth'] as const;
export const FEATURES = ['ingest', 'identity', 'segments', 'pipeline/load', 'pipeline/destinations', 'journeys', 'pipeline/dashboard'] as const;
/** Process start-up and the CLI: the only folders that may import every other. */
export const TOP = ['pipeline/process', 'pipeline/cli'] as const;
/** Users of the product that the product never imports. */
export const OUTSIDE = ['bench', 'tests'] as const;

export type Edges = Map<string, Map<string, string[]>>;

/** The folder (unit) a file belongs to: a top-level folder, or a sub-folder of pipeline/. */
export function unitOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'pipeline') return parts.length > 2 ? `pipeline/${parts[1]}` : 'pipeline';
  return parts[0]!;
}

const SPECIFIER = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Folder → imported folder → the file-level imports behind the edge, read from the files git tracks. */
export function importEdges(root: string): Edges {
  const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  const edges: Edges = new Map();
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(SPECIFIER)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
      const [from, to] = [unitOf(file), unitOf(target)];
      if (from === to) continue;
      const out = edges.get(from) ?? new Map<string, string[]>();
      edges.set(from, out);
      out.set(to, [...(out.get(to) ?? []), `${file} → ${target}`]);
    }
  }
  return edges;
}

/** Every break of the rule, one line each naming the file that breaks it; empty when the graph keeps it. */
export function importViolations(edges: Edges): string[] {
  const known = new Set<string>([...BASE, ...FEATURES, ...TOP, ...OUTSIDE]);
  const out: string[] = [];
  const first = (from: string, to: string) => edges.get(from)?.get(to)?.[0] ?? `${from} → ${to}`;
  for (const [from, targets] of edges) {
    if (!known.has(from)) out.push(`${from} is not a folder of the layout (README, Layout): ${first(from, [...targets.keys()][0]!)}`);
    for (const to of targets.keys()) {
      if (!known.has(to)) out.push(`${to} is not a folder of the layout (README, Layout): ${first(from, to)}`);
      const baseFrom = (BASE as readonly string[]).indexOf(from);
      const baseTo = (BASE as readonly string[]).indexOf(to);
      if (baseFrom >= 0 && !(baseTo >= 0 && baseTo < baseFrom)) out.push(`the shared base imports ${to}: ${first(from, to)}`);
      if ((TOP as readonly string[]).includes(to) && !(from === 'pipeline/cli' || (OUTSIDE as readonly string[]).includes(from))) {
        out.push(`only the CLI may import ${to}: ${first(from, to)}`);
      }
      if ((OUTSIDE as readonly string[]).includes(to) && from !== 'bench' && from !== 'tests') out.push(`the product imports ${to}: ${first(from, to)}`);
      if (from === 'bench' && to === 'tests') out.push(`bench/ imports the tests: ${first(from, to)}`);
    }
  }
  for (const cycle of folderCycles(edges)) out.push(`folders import each other: ${cycle.join(' → ')}`);
  return out;
}

/** Folder cycles (each reported once, from its first folder in sorted order), by depth-first search. */
export function folderCycles(edges: Edges): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])])].sort();
  for (const start of nodes) {
    const stack: string[] = [];
    const walk = (node: string): void => {
      for (const next of [...(edges.get(node)?.keys() ?? [])].sort()) {
        if (next === start) {
          const cycle = [start, ...stack, start];
          const key = [...new Set(cycle)].sort().join(',');
          if (!seen.has(key)) cycles.push(cycle), seen.add(key);
        } else if (next > start && !stack.includes(next)) {
          stack.push(next);
          walk(next);
          stack.pop();
        }
      }
    };
    walk(start);
  }
  return cycles;
}
