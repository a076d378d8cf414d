// Where every Slack listener is wired to the Bolt App, in one place: the /uso command, one handler per button (the
// actions of action-defs.ts), the lists' tick boxes, the account search's options, each form's modal, the App Home, and the bot's removal from a channel.
import { actionDefs, type ChatActionDef } from '../action-defs.js';
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { chatActions, forms, selection, type ChatAction, type FormId } from '../chat-actions.js';
import {
  accountOptions,
  appHomeOpened,
  botLeftChannel,
  button,
  formSubmitted,
  slashCommand,
  tick,
  type SlackDeps,
} from './listeners.js';

export function register(app: App, deps: SlackDeps): void {
  app.command('/uso', slashCommand(deps));
  // one handler per action of the shared table, which says what each does on both platforms
  for (const [action, def] of Object.entries(actionDefs) as [ChatAction, ChatActionDef][])
    app.action<BlockAction<ButtonAction>>(def.ids.slack, button(deps, action));
  app.action(selection.slack, tick);
  app.options(chatActions.otherAccount.slack, accountOptions(deps) as never);
  for (const id of Object.keys(forms) as FormId[]) app.view(forms[id].slack, formSubmitted(deps, id) as never);
  app.event('app_home_opened', appHomeOpened(deps));
  app.event('channel_left', botLeftChannel(deps));
  app.event('group_left', botLeftChannel(deps));
}
