/** What a channel made of one message: accepted (with the provider's id), or refused and whether a retry may help. */
export type ChannelResult = { ok: true; providerId: string } | { ok: false; reason: string; retryable: boolean };
