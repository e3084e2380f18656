import { readFileSync } from 'node:fs';
import path from 'node:path';
import swagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { projectRoot } from '../core/project-root.js';
import type { RouteScope } from '../core/route-config.js';

// Each route's security in the reference follows the scope it declares (pipeline/core/route-config.ts).
const SECURITY: Record<RouteScope, Record<string, string[]>[]> = {
  public: [],
  write: [{ writeKey: [] }],
  audience: [{ bearerKey: [] }],
  read: [{ bearerKey: [] }],
  admin: [{ bearerKey: [] }],
};
const KEY_NEEDED: Partial<Record<RouteScope, string>> = {
  audience: 'Key: audience, read or admin (an audience key for its own segments only).',
  read: 'Key: read or admin.',
  admin: 'Key: admin.',
};
const refused = (description: string) => ({ description, $ref: '#/components/schemas/Failure' });

/** The zod schemas as JSON Schema (fastify-type-provider-zod), with the route's key and the answers refusing one. */
const transform: SwaggerTransform = (document) => {
  const out = jsonSchemaTransform(document);
  const schema = out.schema as Record<string, unknown> | undefined;
  if (!schema || schema.hide) return out;
  const scope = document.route.config?.scope ?? 'public';
  const needed = KEY_NEEDED[scope];
  const keyAnswers = needed ? { 401: refused('No key, or a key this server does not know'), 403: refused('The key may not do this') } : {};
  return {
    url: out.url,
    schema: {
      ...schema,
      description: [schema.description, needed].filter(Boolean).join('\n\n'),
      security: SECURITY[scope],
      response: { ...keyAnswers, ...(schema.response as object) },
    },
  };
};

/**
 * The named schemas (components) the routes use. The zod registry names each schema once for input and once
 * for output ("Segment", "SegmentInput"); only those a route refers to, directly or through another, are kept.
 */
const transformObject: SwaggerTransformObject = (document) => {
  const doc = jsonSchemaTransformObject(document) as { paths?: unknown; components?: { schemas?: Record<string, unknown> } };
  const schemas = doc.components?.schemas ?? {};
  const refs = (value: unknown) => [...(JSON.stringify(value) ?? '').matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  const used = new Set<string>();
  const pending = refs(doc.paths);
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (used.has(name)) continue;
    used.add(name);
    pending.push(...refs(schemas[name]));
  }
  if (doc.components) doc.components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return doc as ReturnType<SwaggerTransformObject>;
};

const TAGS = [
  { name: 'tracking spec', description: "Segment-compatible tracking: the tracking spec's calls, with the write key as Basic auth user name (or `writeKey` in the body)" },
  { name: 'tracking plans', description: 'The events each source may send, as JSON Schemas checked at ingest (violations allowed, dropped or blocked, and recorded): plans, their violations, and drafts inferred from the events seen' },
  { name: 'segments', description: "Segments, the marketers' saved audiences: JSON conditions (trait, event, RFM groups, churn, CLV, other segments) or an analyst's SQL" },
  { name: 'computed traits', description: 'Per-customer values a shop defines over its events (count, sum, average, first, last, most frequent, ...), computed by the `traits` job; definitions and previews' },
  { name: 'journeys', description: 'Automated journeys: profiles enter on an event, a segment, a lifecycle transition or a date trait, then wait, branch on the segment language and send messages, step by step; each step recorded in journey_events' },
  { name: 'audiences', description: "Who is in a segment, what changed since a cursor, and files to upload: for marketing tools, with an audience key" },
  { name: 'destinations', description: "Audience webhooks: every committed run's changes of a segment, HMAC-signed, retried, dead-lettered, replayable" },
  { name: 'profiles', description: 'Stitched customer profiles; deletion (right to erasure); the identity graph' },
  { name: 'customer model', description: 'Where customers stand, from the snapshots of the lifecycle and value_tiers jobs: profiles per lifecycle stage, the transitions between two dates, value tiers and the historical × predicted value grid' },
  { name: 'decision board', description: 'The retail KPIs of the kpis job per day, week and month: orders, revenue, aov, buyers, new buyers, returning, repeat-purchase and retention rates, purchase frequency' },
  { name: 'messages', description: "What journeys send: Liquid templates per channel (email, SMS, webhook) with previews, subscription groups, and the signed links in messages (unsubscribe, open pixel, clicks) that customers follow without a key" },
  { name: 'alerts', description: 'Pipeline and business metrics watched every minute against a threshold or their own history (median and MAD); each state change recorded and sent, signed, to a webhook' },
  { name: 'jobs', description: 'Scheduled jobs on demand: orders, RFM scores and RFM groups (the named R×F cells), churn and CLV' },
  { name: 'SQL', description: "Analyst SQL over the product's tables and views" },
  { name: 'keys', description: 'API keys: write (tracking), audience, read and admin (Authorization: Bearer)' },
  { name: 'dashboard', description: "The dashboard's page and the JSON it draws: pipeline health, customers (the R×F grid with its RFM groups), segments, data quality" },
  { name: 'operations', description: 'Health, readiness and Prometheus metrics' },
  { name: 'reference', description: 'This document' },
];

/**
 * The API reference: `GET /openapi.json` (OpenAPI 3.1, made of the routes' own zod schemas, so it cannot
 * drift from what they accept) and a page at `/docs` (Swagger UI, its assets served from node_modules:
 * no network needed). Both are public: they describe the routes of this open-source product, as the README
 * does, and hold no data or keys; an integrator reads them before having a key. Registered before the
 * routes, whose `onRoute` it needs.
 */
export const apiDocs = fp(
  async (app: FastifyInstance) => {
    const { version } = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'cdp',
          version,
          description:
            'An open-source customer data platform for online retailers: the tracking spec (Segment-compatible) into ClickHouse, identity stitching, RFM groups, churn and CLV, segments, audiences and webhooks.',
        },
        tags: TAGS,
        components: {
          securitySchemes: {
            writeKey: { type: 'http', scheme: 'basic', description: 'The write key as user name, empty password (or `writeKey` in the body). Tracking routes only.' },
            bearerKey: { type: 'http', scheme: 'bearer', description: 'An audience, read or admin key: `Authorization: Bearer <key>`.' },
          },
        },
      },
      transform,
      transformObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true, docExpansion: 'list' } });
    app.withTypeProvider<ZodTypeProvider>().get(
      '/openapi.json',
      {
        config: { scope: 'public' },
        schema: { tags: ['reference'], summary: 'This API reference', description: 'OpenAPI 3.1; the page at /docs shows it.', response: { 200: z.looseObject({ openapi: z.string() }) } },
      },
      () => app.swagger() as { openapi: string },
    );
  },
  { name: 'cdp-api-docs' },
);
