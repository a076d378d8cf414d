// What Slack sends to /slack/events, checked at the edge with zod before Bolt sees it: a signed request whose body
// is not a payload Slack sends (`payload=null`, a command without a user, block_actions without actions) is a 400
// with the reason, never a listener failing half way. Only the fields Bolt and our listeners rely on are required;
// everything else passes through as Slack sent it.
import { z } from 'zod';

const id = z.string().min(1);
const user = z.looseObject({ id });
const team = z.looseObject({ id });

/** A slash command (form-encoded); Slack omits `text` when nothing follows the command. */
const slashCommand = z.looseObject({
  command: z.string().startsWith('/'),
  text: z.string().default(''),
  user_id: id,
  team_id: id,
  channel_id: id,
  trigger_id: z.string().optional(),
});

const blockActions = z.looseObject({
  type: z.literal('block_actions'),
  user,
  team: team.nullable(),
  actions: z.array(z.looseObject({ action_id: id, type: id, value: z.string().optional() })).min(1),
});

/** A modal submitted (a form). */
const viewSubmission = z.looseObject({
  type: z.literal('view_submission'),
  user,
  team: team.nullable(),
  view: z.looseObject({
    callback_id: id,
    private_metadata: z.string().optional(),
    state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), z.looseObject({}))) }),
  }),
});

/** A search menu asking for its options as the user types. */
const blockSuggestion = z.looseObject({
  type: z.literal('block_suggestion'),
  user,
  team: team.nullable(),
  action_id: id,
  block_id: id,
  value: z.string(),
});

const eventCallback = z.looseObject({
  type: z.literal('event_callback'),
  team_id: id,
  event_id: id,
  event: z.looseObject({ type: id }),
});
const urlVerification = z.looseObject({ type: z.literal('url_verification'), challenge: z.string() });
/** Slack's notice that it is dropping events for the app: nothing to do but answer. */
const rateLimited = z.looseObject({ type: z.literal('app_rate_limited'), team_id: z.string().optional() });

const eventsBody = z.union([eventCallback, urlVerification, rateLimited]);
/** The interactions this app asks Slack for (its manifest): buttons, forms, search menus. Any other kind is not ours. */
const interactionBody = z.union([blockActions, viewSubmission, blockSuggestion]);

export type SlackBody = Record<string, unknown>;

const problems = (err: z.ZodError) =>
  err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');

/** The body Bolt should see, or why the request is not one Slack sends. */
export function parseSlackBody(
  raw: string,
  contentType: string,
): { ok: true; body: SlackBody } | { ok: false; reason: string } {
  let candidate: unknown;
  let schema: z.ZodType<SlackBody>;
  try {
    if (contentType.includes('application/json')) {
      candidate = JSON.parse(raw);
      schema = eventsBody;
    } else {
      const form = Object.fromEntries(new URLSearchParams(raw));
      if (typeof form.payload === 'string') {
        candidate = JSON.parse(form.payload);
        schema = interactionBody;
      } else {
        candidate = form;
        schema = slashCommand;
      }
    }
  } catch {
    return { ok: false, reason: 'the body is not JSON where Slack sends JSON' };
  }
  const parsed = schema.safeParse(candidate);
  return parsed.success ? { ok: true, body: parsed.data } : { ok: false, reason: problems(parsed.error) };
}
