import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_KEY, WRITE_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The resource convention on both managed resources, segments and destinations: PUT /v1/<things>/:id creates
// (201) or replaces (200) and the same body twice changes nothing; POST /v1/<things> creates with the body's
// id or a generated one, and answers 409 for an id in use; both need an admin key, checked before the body.

let product: TestProduct;
let readKey: string;
let audienceKey: string;

const call = (method: string, route: string, body?: unknown, key: string | null = ADMIN_KEY) =>
  product.request(method, route, body, { auth: key === null ? null : `Bearer ${key}` });

const segment = (name: string, city = 'Berlin') => ({ name, conditions: { type: 'trait', trait: 'city', op: 'eq', value: city } });
const versions = async (id: string) => ((await call('GET', `/v1/segments/${id}/versions`)).body.versions as { version: number }[]).map((v) => v.version);
const SECRET = 's'.repeat(40);

beforeAll(async () => {
  product = await startTestProduct();
  readKey = await product.keys.create('read', 'convention-reader');
  audienceKey = await product.keys.create('audience', 'convention-tool');
  for (const id of ['hooked', 'other-hooked']) expect((await call('PUT', `/v1/segments/${id}`, segment(id))).status).toBe(201);
});

afterAll(async () => {
  await product?.destroy();
});

describe('segments', () => {
  test('PUT on a new id creates it (201); the same PUT again is 200 and makes no version; a change makes the next one', async () => {
    const created = await call('PUT', '/v1/segments/berliners', segment('Berliners'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.segment).toMatchObject({ id: 'berliners', version: 1, name: 'Berliners', kind: 'rules' });

    const again = await call('PUT', '/v1/segments/berliners', { id: 'berliners', ...segment('Berliners') });
    expect(again.status).toBe(200);
    expect(again.body.segment).toMatchObject({ id: 'berliners', version: 1, created_at: created.body.segment.created_at });
    expect(await versions('berliners')).toEqual([1]);

    const changed = await call('PUT', '/v1/segments/berliners', segment('Berliners', 'Hamburg'));
    expect(changed.status).toBe(200);
    expect(changed.body.segment).toMatchObject({ version: 2, conditions: { value: 'Hamburg' } });
    expect(await versions('berliners')).toEqual([2, 1]);
  });

  test('POST with an id in use is 409 already_exists and stores nothing; POST without an id makes one', async () => {
    expect((await call('PUT', '/v1/segments/taken', segment('Taken'))).status).toBe(201);
    const clash = await call('POST', '/v1/segments', { id: 'taken', ...segment('Other') });
    expect([clash.status, clash.body.code]).toEqual([409, 'already_exists']);
    expect(clash.body.message).toMatch(/PUT \/v1\/segments\/taken/);
    expect(await versions('taken')).toEqual([1]);
    expect((await call('GET', '/v1/segments/taken')).body.segment.name).toBe('Taken');

    const generated = await call('POST', '/v1/segments', segment('No id given'));
    expect(generated.status, JSON.stringify(generated.body)).toBe(201);
    expect(generated.body.segment.id).toMatch(/^seg_[0-9a-f]{12}$/);
    expect((await call('GET', `/v1/segments/${generated.body.segment.id}`)).body.segment.name).toBe('No id given');
  });

  test('bad ids and bodies are 400 with problems naming the field, and store nothing', async () => {
    const cases: [string, string, unknown, string][] = [
      ['PUT', '/v1/segments/Not_Lower', segment('x'), 'id'],
      ['PUT', '/v1/segments/mismatch', { id: 'another', ...segment('x') }, 'id'],
      ['PUT', '/v1/segments/nameless', { conditions: segment('x').conditions }, 'name'],
      ['POST', '/v1/segments', { id: 'Bad Id', ...segment('x') }, 'id'],
      ['PUT', '/v1/segments/bad-condition', { name: 'x', conditions: { type: 'trait', trait: 'city', op: 'like', value: 'x' } }, 'conditions.op'],
    ];
    for (const [method, route, body, path] of cases) {
      const res = await call(method, route, body);
      expect([res.status, res.body.code], `${method} ${route}`).toEqual([400, 'CDP_SEGMENT_INVALID']);
      expect(res.body.problems.map((p: { path: string }) => p.path), `${method} ${route}`).toContain(path);
    }
    for (const id of ['mismatch', 'another', 'nameless', 'bad-condition']) expect((await call('GET', `/v1/segments/${id}`)).status, id).toBe(404);
  });

  test('PUT and POST need an admin key, checked before the body is', async () => {
    for (const [method, route] of [['PUT', '/v1/segments/keyless'], ['POST', '/v1/segments']] as const) {
      for (const body of [{ id: 'keyless', ...segment('Keyless') }, { not: 'a segment' }]) {
        const none = await call(method, route, body, null);
        expect([none.status, none.body.code], `${method} without a key`).toEqual([401, 'missing_key']);
        const unknown = await call(method, route, body, 'ak_not_a_key');
        expect([unknown.status, unknown.body.code], `${method} with an unknown key`).toEqual([401, 'invalid_key']);
        expect((await call(method, route, body, WRITE_KEY)).status, `${method} with a write key`).toBe(401);
        for (const key of [readKey, audienceKey]) {
          const refused = await call(method, route, body, key);
          expect([refused.status, refused.body.code], `${method} with a read or audience key`).toEqual([403, 'forbidden']);
        }
      }
    }
    expect((await call('GET', '/v1/segments/keyless')).status).toBe(404);
  });
});

describe('destinations', () => {
  const hook = (path: string, segmentId = 'hooked') => ({ segment_id: segmentId, url: `https://hooks.example.com/${path}`, secret: SECRET });

  test('PUT creates (201), the same PUT again is 200, a new url replaces; the secret is never answered', async () => {
    const created = await call('PUT', '/v1/destinations/dst_crm-sync', hook('crm'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.destination).toMatchObject({ id: 'dst_crm-sync', segment_id: 'hooked', url: 'https://hooks.example.com/crm', disabled_at: null });

    const again = await call('PUT', '/v1/destinations/dst_crm-sync', { id: 'dst_crm-sync', ...hook('crm') });
    expect(again.status).toBe(200);
    expect(again.body.destination).toEqual(created.body.destination);

    const moved = await call('PUT', '/v1/destinations/dst_crm-sync', hook('crm-v2'));
    expect(moved.status).toBe(200);
    const read = await call('GET', '/v1/destinations/dst_crm-sync');
    expect(read.body.destination).toMatchObject({ url: 'https://hooks.example.com/crm-v2', created_at: created.body.destination.created_at });
    const listed = (await call('GET', '/v1/destinations')).body.destinations.filter((d: { id: string }) => d.id === 'dst_crm-sync');
    expect(listed).toHaveLength(1);
    expect(JSON.stringify([created.body, again.body, moved.body, read.body, listed])).not.toContain(SECRET);
  });

  test("a destination's segment cannot change, and one of an unknown segment is not made", async () => {
    expect((await call('PUT', '/v1/destinations/dst_fixed', hook('fixed'))).status).toBe(201);
    const other = await call('PUT', '/v1/destinations/dst_fixed', hook('fixed', 'other-hooked'));
    expect([other.status, other.body.code]).toEqual([400, 'invalid_request']);
    expect(other.body.message).toMatch(/segment_id: destination dst_fixed follows segment "hooked"/);
    expect((await call('GET', '/v1/destinations/dst_fixed')).body.destination.segment_id).toBe('hooked');

    const unknown = await call('PUT', '/v1/destinations/dst_orphan', hook('orphan', 'no-such-segment'));
    expect([unknown.status, unknown.body.code]).toEqual([404, 'segment_not_found']);
    expect((await call('GET', '/v1/destinations/dst_orphan')).status).toBe(404);
  });

  test('POST with an id in use is 409; POST without an id makes dst_ and 16 hex digits', async () => {
    expect((await call('PUT', '/v1/destinations/dst_taken', hook('taken'))).status).toBe(201);
    const clash = await call('POST', '/v1/destinations', { id: 'dst_taken', ...hook('elsewhere') });
    expect([clash.status, clash.body.code]).toEqual([409, 'already_exists']);
    expect((await call('GET', '/v1/destinations/dst_taken')).body.destination.url).toBe('https://hooks.example.com/taken');

    const generated = await call('POST', '/v1/destinations', hook('generated'));
    expect(generated.status).toBe(201);
    expect(generated.body.destination.id).toMatch(/^dst_[0-9a-f]{16}$/);
  });

  test('bad ids and bodies are 400 naming the field; PUT and POST need an admin key, checked first', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['PUT', '/v1/destinations/crm', hook('x'), /id: is not a destination id/],
      ['PUT', '/v1/destinations/dst_UPPER', hook('x'), /id: is not a destination id/],
      ['PUT', '/v1/destinations/dst_mismatch', { id: 'dst_other', ...hook('x') }, /id: the body's id "dst_other" is not the destination's/],
      ['PUT', '/v1/destinations/dst_short', { ...hook('x'), secret: 'short' }, /secret: must be at least 32 characters/],
      ['POST', '/v1/destinations', { id: 'nope', ...hook('x') }, /id: is not a destination id/],
      ['POST', '/v1/destinations', { ...hook('x'), extra: 1 }, /unknown field\(s\) extra/],
    ];
    for (const [method, route, body, message] of cases) {
      const res = await call(method, route, body);
      expect([res.status, res.body.code], `${method} ${route}`).toEqual([400, 'invalid_request']);
      expect(res.body.message, `${method} ${route}`).toMatch(message);
    }
    for (const [method, route] of [['PUT', '/v1/destinations/dst_keyless'], ['POST', '/v1/destinations']] as const) {
      for (const body of [{ id: 'dst_keyless', ...hook('keyless') }, 'not json']) {
        expect((await call(method, route, body, null)).body.code, `${method} without a key`).toBe('missing_key');
        for (const key of [readKey, audienceKey]) {
          const refused = await call(method, route, body, key);
          expect([refused.status, refused.body.code], `${method} with a read or audience key`).toEqual([403, 'forbidden']);
        }
      }
    }
    expect((await call('GET', '/v1/destinations/dst_keyless')).status).toBe(404);
  });
});

describe('hostile bodies', () => {
  // A body nested thousands of levels deep overflowed the stack of the code that walks it (the segment
  // language's schema, ajv compiling a plan) and was answered 500; it is refused as it is read.
  const nested = (levels: number, leaf: string, wrap: (inner: string) => string) => {
    let text = leaf;
    for (let i = 0; i < levels; i++) text = wrap(text);
    return text;
  };

  test('a body nested deeper than 256 levels is 400 too_deep on every managed resource, and the server goes on', async () => {
    const condition = nested(3000, '{"type":"trait","trait":"a","op":"exists"}', (inner) => `{"type":"not","condition":${inner}}`);
    const schema = nested(3000, '{"type":"object"}', (inner) => `{"type":"object","properties":{"a":${inner}}}`);
    const refused = [
      await call('PUT', '/v1/segments/deep', `{"name":"deep","conditions":${condition}}`),
      await call('POST', '/v1/segments/preview', `{"conditions":${condition}}`),
      await call('PUT', '/v1/tracking-plans/deep', `{"name":"deep","sources":["web"],"rules":[{"type":"track","event":"X","properties":${schema}}]}`),
      await call('POST', '/v1/destinations', `{"segment_id":"hooked","url":"https://hooks.example.com/x","secret":"${SECRET}","x":${nested(300, '1', (i) => `[${i}]`)}}`),
    ];
    for (const res of refused) expect([res.status, res.body.code]).toEqual([400, 'too_deep']);
    expect((await call('GET', '/v1/segments/deep')).status).toBe(404);
    expect((await call('GET', '/v1/tracking-plans/deep')).status).toBe(404);
    // Within the bound, a plan describing an event nested 120 levels deep is taken.
    const deepPlan = nested(120, '{"type":"object"}', (inner) => `{"type":"object","properties":{"a":${inner}}}`);
    const taken = await call('PUT', '/v1/tracking-plans/deep-ok', `{"name":"deep","sources":["deep-source"],"rules":[{"type":"track","event":"X","properties":${deepPlan}}]}`);
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
  });
});
