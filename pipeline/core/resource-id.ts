import { z } from 'zod';

/**
 * The id of every resource the API manages (segments, destinations, and the ones to come), and of the
 * segments an audience key may read: lower-case so that ids compare and sort the same in Redis keys,
 * ClickHouse and URLs.
 */
export const resourceId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, _ and -, at most 64');
