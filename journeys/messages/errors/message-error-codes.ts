/** Machine-readable codes of the errors journeys/messages/ throws (as the routes answer them). */
export const MessageErrorCodes = {
  InvalidTemplate: 'invalid_template',
  TemplateNotFound: 'template_not_found',
  SubscriptionGroupNotFound: 'subscription_group_not_found',
  InvalidLink: 'invalid_link',
  ForgedLink: 'forged_link',
} as const;
export type MessageErrorCode = (typeof MessageErrorCodes)[keyof typeof MessageErrorCodes];
