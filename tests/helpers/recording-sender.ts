import type { MessageChannel, MessageSender, SendOutcome, SendRequest } from '../../journeys/messages/message-sender.js';

// A MessageSender for the engine's tests, standing in for journeys/messages/: it knows the templates and
// subscription groups it is given, records every request, and answers `sent` unless a template's script says
// otherwise. The tests read what was asked (`sends`), so they stay the same with the real sender behind.

export interface RecordingSender extends MessageSender {
  /** Every send asked for, in order (a retried step asks again under the same message id). */
  sends: SendRequest[];
  /** The answers for a template, in turn; once used up, `sent`. */
  script(templateId: string, outcomes: SendOutcome[]): void;
}

export function recordingSender(templates: Record<string, MessageChannel>, groups: string[] = []): RecordingSender {
  const sends: SendRequest[] = [];
  const scripts = new Map<string, SendOutcome[]>();
  return {
    sends,
    script: (templateId, outcomes) => void scripts.set(templateId, [...outcomes]),
    async send(request) {
      sends.push(request);
      return scripts.get(request.templateId)?.shift() ?? { status: 'sent', providerId: `provider-${sends.length}` };
    },
    templateChannel: async (id) => templates[id],
    subscriptionGroupExists: async (id) => groups.includes(id),
  };
}
