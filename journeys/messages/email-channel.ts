import nodemailer, { type Transporter } from 'nodemailer';
import type { ChannelResult } from './channel-result.js';
import type { RenderedTemplate } from './liquid-templates.js';

// Email through SMTP (SMTP_URL, EMAIL_FROM) with nodemailer. The message id is the email's Message-ID, so a
// resent message is the same email to the receiving side; the unsubscribe link is also offered as
// List-Unsubscribe with one-click POST (RFC 8058), as large mailbox providers ask of bulk senders.

export interface EmailMessage {
  messageId: string;
  to: string;
  content: RenderedTemplate;
  unsubscribeUrl?: string;
}

export interface EmailChannel {
  send(message: EmailMessage): Promise<ChannelResult>;
  close(): void;
}

/** `<id@domain>`: the message id (URI-encoded, as a Message-ID allows no spaces or brackets) at the sender's domain. */
export function emailMessageId(messageId: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'cdp.invalid';
  return `<${encodeURIComponent(messageId)}@${domain}>`;
}

/** SMTP replies 5xx and a refused envelope or message are final; connection failures and 4xx are worth a retry. */
function retryable(err: { responseCode?: number; code?: string }): boolean {
  if (err.responseCode !== undefined) return err.responseCode < 500;
  return !['EENVELOPE', 'EMESSAGE', 'EAUTH'].includes(err.code ?? '');
}

export function emailChannel(smtpUrl: string | undefined, from: string): EmailChannel {
  const transport: Transporter | undefined = smtpUrl === undefined ? undefined : nodemailer.createTransport(smtpUrl);
  return {
    async send(m) {
      if (!transport) return { ok: false, reason: 'SMTP_URL is not set', retryable: false };
      const id = emailMessageId(m.messageId, from);
      try {
        await transport.sendMail({
          from,
          to: m.to,
          subject: m.content.subject,
          html: m.content.body,
          ...(m.content.text === undefined ? {} : { text: m.content.text }),
          messageId: id,
          headers: {
            'X-CDP-Message-Id': m.messageId,
            ...(m.unsubscribeUrl === undefined ? {} : { 'List-Unsubscribe': `<${m.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }),
          },
        });
        return { ok: true, providerId: id };
      } catch (err) {
        const e = err as Error & { responseCode?: number; code?: string };
        return { ok: false, reason: `smtp: ${e.message}`, retryable: retryable(e) };
      }
    },
    close: () => transport?.close(),
  };
}
