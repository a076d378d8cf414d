// The chat commands, platform-agnostic: what `/uso status` on Slack and "status" to the Teams bot both mean. The
// adapters parse their platform's message into words, a conversation and (for grant) the person mentioned, call
// `runCommand`, and render its reply. One table lists the commands, for both platforms' help.
import type { Db } from 'mongodb';
import { isUsoError } from '../errors.js';
import { dfeNumberSchema } from '../domain/records.js';
import {
  authorise,
  grantRole,
  onlySchoolOf,
  redeemLinkCode,
  schoolOfConversation,
  type Actor,
  type Platform,
  type Role,
} from './access.js';
import * as actions from './actions.js';
import type { Form, View } from './view-model.js';
import * as school from './school-actions.js';
import { sharing } from './sharing-actions.js';
import { formFor } from './forms.js';
import { getSchool } from '../store/schools.js';

/** The commands, in the order help lists them: usage and what each does. */
export const COMMANDS = [
  ['status [school]', 'last run, people to match, held changes'],
  ['match [school]', 'people who look like existing accounts, with buttons'],
  ['who TEXT', 'a person by name (forgiving), UPN, username or MIS id: their account and what each run did, and why'],
  ['held [school]', 'the changes held for approval, person by person, to approve or reject'],
  ['new [school]', 'the accounts the latest run made (logins to hand out)'],
  ['invalid [school]', 'the MIS records the latest run could not use, with the field and reason'],
  ['exclusions [school]', 'names never to get an account, with Remove and Add'],
  ['request [school]', 'ask for an account before the MIS has the person (a form)'],
  ['settings [school]', "the school's reports, grace days, thresholds and pause; heads change them"],
  [
    'sharing [school]',
    "the services asking for the school's data: what, why, and the head's approval with its receipt",
  ],
  ['unallocated [school]', 'accounts that lost their school, with Restore'],
  ['non-mis [school]', 'accounts at the school that the MIS does not list'],
  ['run [school]', 'run the school now'],
  ['link CODE', 'link this conversation to a school (the code comes from `uso link-code DFE`)'],
  ['grant @person contact|head', "give someone a role at this conversation's school"],
  ['help', 'this list'],
] as const;

export interface CommandInput {
  /** The words typed after the command or mention, e.g. ["status", "2093456"]. */
  words: string[];
  /** Where it was typed. */
  conversation: { platform: Exclude<Platform, 'cli'>; workspace: string; conversation: string };
  /** For `grant`: the one person mentioned, as the platform identifies them (undefined: none, or several). */
  grantee?: Actor;
}

/** What to answer: a view to render, or a line of text; `toConversation` answers where everyone sees it. */
export type CommandReply =
  | { view: View; toConversation?: boolean }
  | { text: string; toConversation?: boolean }
  | { help: true; text?: string }
  /** A form to fill in (Slack opens it as a modal, Teams sends it as an input card). */
  | { form: Form };

/** Runs a chat command as the actor; a refusal or a mistake is a text reply with the reason, never a throw. */
export async function runCommand(ctx: actions.ActionContext, actor: Actor, input: CommandInput): Promise<CommandReply> {
  const [first = 'help', ...args] = input.words;
  const sub = first.toLowerCase();
  try {
    if (sub === 'help') return { help: true };
    if (sub === 'link') {
      if (!args[0]) return { text: 'Give the code: `link CODE`.' };
      const dfe = await redeemLinkCode(ctx.db, args[0], actor, input.conversation);
      const linked = await getSchool(ctx.db, dfe);
      const choose =
        linked && linked.acceptedReports.length === 0
          ? ' The school accepts no report yet, so nothing is read: choose which with `settings`.'
          : '';
      return {
        text: `This conversation now speaks for school ${dfe}. ${actor.displayName} is its head here.${choose}`,
        toConversation: true,
      };
    }
    if (sub === 'who') {
      // a DfE number first narrows the search to that school; otherwise this conversation's school, or all of the asker's
      const named = args.length > 1 && dfeNumberSchema.safeParse(args[0]).success ? args[0] : undefined;
      const text = (named ? args.slice(1) : args).join(' ');
      if (!text) return { text: 'Say who: `who Amelia Khan`, a UPN, a username or an MIS id.' };
      const { platform, workspace, conversation } = input.conversation;
      const dfe = named ?? (await schoolOfConversation(ctx.db, platform, workspace, conversation));
      return { view: await actions.who(ctx, actor, { text, ...(dfe ? { dfeNumber: dfe } : {}) }) };
    }
    const forSchool: Record<string, (dfe: string) => Promise<CommandReply>> = {
      exclusions: async (dfe) => ({ view: await school.exclusions(ctx, actor, dfe) }),
      settings: async (dfe) => ({ view: await school.settings(ctx, actor, dfe) }),
      sharing: async (dfe) => ({ view: await sharing(ctx, actor, dfe) }),
      request: async (dfe) => {
        await authorise(ctx.db, actor, dfe, 'contact');
        return { form: await formFor(ctx, actor, { d: dfe, form: 'request' }) };
      },
    };
    if (Object.hasOwn(forSchool, sub)) {
      const dfe = await schoolFor(
        ctx.db,
        actor,
        input,
        args.find((a) => dfeNumberSchema.safeParse(a).success),
      );
      if (!dfe) return { text: 'This conversation is not linked to a school: give the DfE number.' };
      return forSchool[sub]!(dfe);
    }
    if (sub !== 'grant' && !Object.hasOwn(actions.schoolCommands, sub)) {
      return { help: true, text: `I do not know \`${sub.slice(0, 40)}\`.` };
    }
    const dfe = await schoolFor(
      ctx.db,
      actor,
      input,
      sub === 'grant' ? undefined : args.find((a) => dfeNumberSchema.safeParse(a).success),
    );
    if (!dfe && sub === 'status') {
      const mine = await actions.myStatus(ctx, actor);
      if (mine.schools.length) return { view: mine };
    }
    if (!dfe) {
      return {
        text: 'This conversation is not linked to a school: give the DfE number (`status 2093456`) or link it with `link CODE`.',
      };
    }
    const view = Object.hasOwn(actions.schoolCommands, sub) ? actions.schoolCommands[sub] : undefined;
    if (view) return { view: await view(ctx, actor, dfe), toConversation: sub === 'run' };
    // what is left is grant
    const role = args.at(-1)?.toLowerCase();
    if (!input.grantee || (role !== 'head' && role !== 'contact')) {
      return { text: 'Use `grant @person contact` or `grant @person head`, mentioning one person.' };
    }
    await grantRole(ctx.db, actor, dfe, input.grantee, role satisfies Role);
    return { text: `${input.grantee.displayName} is now ${role} for school ${dfe}.` };
  } catch (err) {
    if (isUsoError(err)) return { text: err.message };
    throw err;
  }
}

/** The school a command is about: named in it, the one the conversation is linked to, or the actor's only one. */
async function schoolFor(
  db: Db,
  actor: Actor,
  input: CommandInput,
  given: string | undefined,
): Promise<string | undefined> {
  if (given) return given;
  const { platform, workspace, conversation } = input.conversation;
  return (await schoolOfConversation(db, platform, workspace, conversation)) ?? (await onlySchoolOf(db, actor));
}
