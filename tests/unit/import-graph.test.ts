import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { importEdges, importViolations, type Edges } from '../helpers/import-graph.js';

const graph = (pairs: [string, string][]): Edges => {
  const edges: Edges = new Map();
  for (const [from, to] of pairs) {
    const out = edges.get(from) ?? new Map<string, string[]>();
    edges.set(from, out);
    out.set(to, [`${from}/a.ts → ${to}/b`]);
  }
  return edges;
};

describe('the import graph', () => {
  it('keeps the layout rule: base imports only base, only process and CLI import everything, no folder cycles', () => {
    expect(importViolations(importEdges(projectRoot()))).toEqual([]);
  });

  it('the shared base importing a feature is a violation', () => {
    expect(importViolations(graph([['pipeline/core', 'segments']]))).toEqual([
      'the shared base imports segments: pipeline/core/a.ts → segments/b',
    ]);
  });

  it('the base keeps its own order: core imports no other base folder', () => {
    expect(importViolations(graph([['pipeline/core', 'pipeline/redis']]))).toHaveLength(1);
    expect(importViolations(graph([['pipeline/auth', 'pipeline/redis'], ['pipeline/redis', 'pipeline/core']]))).toEqual([]);
  });

  it('a feature importing process start-up, or the product importing tests or bench, is a violation', () => {
    expect(importViolations(graph([['ingest', 'pipeline/process']]))[0]).toMatch(/only the CLI may import pipeline\/process/);
    expect(importViolations(graph([['pipeline/cli', 'pipeline/process']]))).toEqual([]);
    expect(importViolations(graph([['segments', 'tests']]))[0]).toMatch(/the product imports tests/);
    expect(importViolations(graph([['bench', 'tests']]))[0]).toMatch(/bench\/ imports the tests/);
  });

  it('features importing each other both ways is a cycle, reported once', () => {
    const found = importViolations(graph([['identity', 'pipeline/load'], ['pipeline/load', 'identity'], ['ingest', 'identity']]));
    expect(found).toEqual(['folders import each other: identity → pipeline/load → identity']);
  });

  it('a longer cycle is found too', () => {
    expect(importViolations(graph([['ingest', 'identity'], ['identity', 'segments'], ['segments', 'ingest']]))).toEqual([
      'folders import each other: identity → segments → ingest → identity',
    ]);
  });

  it('a file straight in pipeline/ or a new folder must be placed in the layout', () => {
    expect(importViolations(graph([['pipeline', 'pipeline/core']]))[0]).toMatch(/pipeline is not a folder of the layout/);
    expect(importViolations(graph([['ingest', 'workflows']]))[0]).toMatch(/workflows is not a folder of the layout/);
  });
});
