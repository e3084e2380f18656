// A chDB engine configured as one node of a ClickHouse cluster (tests/helpers/cluster-chdb.ts starts it):
// reads one JSON request per line on stdin, answers one JSON line each on stdout. Its Replicated tables have an
// in-process test keeper but are read-only, and an INSERT into them retries for minutes: the parent sends only
// CREATE, ALTER and EXPLAIN (and harmless SELECTs), and kills this process when done.
import { createInterface } from 'node:readline';
import { Session } from 'chdb';

const [dataDir, configFile] = process.argv.slice(2);
const session = new Session(dataDir, { connectionArgs: [`--config-file=${configFile}`] });

for await (const line of createInterface({ input: process.stdin })) {
  const { id, query, params } = JSON.parse(line);
  let answer;
  try {
    const text = params ? session.queryBind(query, params, 'JSONEachRow') : session.query(query, 'JSONEachRow');
    answer = { id, ok: true, rows: text.split('\n').filter(Boolean).map((r) => JSON.parse(r)) };
  } catch (err) {
    const message = String(err.message ?? err);
    answer = { id, ok: false, code: Number(/Code: (\d+)/.exec(message)?.[1] ?? 0), message };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
