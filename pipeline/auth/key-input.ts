import { z } from 'zod';
import { resourceId } from '../core/resource-id.js';
import { LOCAL_CLI_KEY_NAME, SCOPES } from './key-store.js';

/**
 * A key to create, as `POST /v1/keys` and `cdp keys create` take it. An audience key's segments need not exist
 * yet (a tool's key may be made before its segments), but must be well-formed segment ids, and an empty list
 * is refused: it would silently be a key for every segment.
 */
export const keyInput = z
  .strictObject({
    scope: z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }),
    /** The source of a write key (it becomes the events' source_id); a label for the others. */
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      // Control characters would break the logs and the CLI's table.
      .refine((n) => !/[\u0000-\u001f\u007f-\u009f]/.test(n), 'must not contain control characters')
      .refine((n) => n !== LOCAL_CLI_KEY_NAME, `"${LOCAL_CLI_KEY_NAME}" is reserved for the data folder's cli.key`),
    segments: z
      .array(resourceId)
      .min(1, 'must name at least one segment; leave it out for a key that reads every segment')
      .max(100, 'must name at most 100 segments')
      .transform((ids) => [...new Set(ids)])
      .optional(),
  })
  .refine((k) => k.segments === undefined || k.scope === 'audience', { path: ['segments'], message: 'applies to audience keys only (scope audience)' });

export type KeyInput = z.infer<typeof keyInput>;
