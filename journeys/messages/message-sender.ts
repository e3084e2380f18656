// The contract between the journey engine (journeys/, the caller) and messages (journeys/messages/, the
// sender): a journey's send step asks for one message and learns what became of it. The sender owns the
// templates, the channels, subscription groups, consent, the frequency cap, quiet hours and the `messages`
// table; the engine owns instances, steps, waits and `journey_events`.

export type MessageChannel = 'email' | 'sms' | 'webhook';

export interface SendRequest {
  /**
   * Deterministic: the same step of the same instance always asks with the same id, so that a retried step
   * (a crash between sending and recording) resends the same message, which receivers can deduplicate.
   */
  messageId: string;
  journeyId: string;
  journeyVersion: number;
  instanceId: string;
  step: string;
  profileId: string;
  channel: MessageChannel;
  templateId: string;
  /** The subscription group the step sends under, if any. */
  subscriptionGroup?: string;
  /** Channel `webhook`: the events destination that carries it. */
  destinationId?: string;
  /** The event that entered the profile into the journey (as loaded: type, event, properties, ...), for templates. */
  entryEvent?: Record<string, unknown>;
}

/** Why a message was not sent, and will not be. */
export type SuppressionReason = 'no_address' | 'unsubscribed' | 'consent_denied' | 'frequency_cap' | 'profile_deleted';

export type SendOutcome =
  /** Sent now, or earlier under the same message id (not sent again). */
  | { status: 'sent'; providerId?: string }
  | { status: 'suppressed'; reason: SuppressionReason }
  /** Quiet hours: ask again at `until` (epoch ms). */
  | { status: 'held'; reason: 'quiet_hours'; until: number }
  /** The channel refused or could not be reached; `retryable` false for a refusal that will not change. */
  | { status: 'failed'; reason: string; retryable: boolean };

export interface MessageSender {
  send(request: SendRequest): Promise<SendOutcome>;
  /** The channel of a template, or undefined for an unknown template (a journey referring to it is refused). */
  templateChannel(templateId: string): Promise<MessageChannel | undefined>;
  /** Whether a subscription group exists (a journey referring to an unknown one is refused). */
  subscriptionGroupExists(groupId: string): Promise<boolean>;
}
