import { Liquid, type Template } from 'liquidjs';
import { InvalidTemplateError } from './errors/invalid-template-error.js';
import type { MessageTemplate, TemplateInput } from './message-template.js';

// Liquid as templates use it: strict about filters (an unknown one is refused when the template is written),
// lenient about variables (a trait the customer does not have renders empty). No file system: `include`,
// `render` and `layout` are refused, so a template cannot read the server's files. Limits keep a runaway loop
// from holding a worker.

const options = {
  strictFilters: true,
  strictVariables: false,
  ownPropertyOnly: true,
  templates: {},
  dynamicPartials: false,
  parseLimit: 1_000_000,
  renderLimit: 1_000,
  memoryLimit: 10_000_000,
};

/** A Liquid engine whose tags that read other templates are refused when a template is parsed. */
function engine(extra: Partial<typeof options & { outputEscape: 'escape' }> = {}): Liquid {
  const liquid = new Liquid({ ...options, ...extra });
  for (const tag of ['include', 'render', 'layout']) {
    liquid.registerTag(tag, {
      parse() {
        throw new Error(`{% ${tag} %} is not available: a template cannot read other files`);
      },
      render() {},
    });
  }
  return liquid;
}

/** For text: subjects, plain-text parts, SMS and webhook bodies. */
const plain = engine();
/** For an email's HTML body: a customer's values are escaped (`| raw` keeps markup the template means). */
const html = engine({ outputEscape: 'escape' });

type Field = 'subject' | 'body' | 'text';

function parse(engine: Liquid, field: Field, source: string): Template[] {
  try {
    return engine.parse(source);
  } catch (err) {
    const e = err as Error & { token?: { getPosition(): [number, number] } };
    const [line, col] = e.token?.getPosition() ?? [];
    // liquidjs appends ", line:1, col:3" to its messages: the position is answered apart.
    const message = e.message.replace(/, line:\d+, col:\d+$/, '');
    throw new InvalidTemplateError(field, message, line === undefined ? undefined : { line, col: col! });
  }
}

const engineFor = (channel: TemplateInput['channel'], field: Field) => (channel === 'email' && field === 'body' ? html : plain);

/** Parses every Liquid field of a template; throws InvalidTemplateError (400) naming the field and the position. */
export function checkTemplate(t: Omit<TemplateInput, 'id'>): void {
  for (const field of ['subject', 'body', 'text'] as const) {
    const source = t[field];
    if (source !== undefined) parse(engineFor(t.channel, field), field, source);
  }
}

export interface RenderedTemplate {
  subject?: string;
  body: string;
  text?: string;
}

/** The template's fields rendered over `scope` (profile, event, unsubscribe_url). */
export async function renderTemplate(t: MessageTemplate, scope: Record<string, unknown>): Promise<RenderedTemplate> {
  const render = async (field: Field) => {
    const source = t[field];
    if (source === undefined) return undefined;
    const engine = engineFor(t.channel, field);
    return String(await engine.render(parse(engine, field, source), scope));
  };
  const [subject, body, text] = await Promise.all([render('subject'), render('body'), render('text')]);
  return { ...(subject === undefined ? {} : { subject }), body: body!, ...(text === undefined ? {} : { text }) };
}
