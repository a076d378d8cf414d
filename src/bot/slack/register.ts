// Where every Slack listener is wired to the Bolt App, in one place: the /uso command, one handler per button (the
// action ids in chat-actions.ts), the lists' tick boxes, the account search's options, each form's modal, the App Home, and the bot's removal from a channel.
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
  for (const action of Object.keys(chatActions) as ChatAction[]) {
    app.action<BlockAction<ButtonAction>>(chatActions[action].slack, button(deps, action));
  }
  app.action(selection.slack, tick);
  app.options(chatActions.otherAccount.slack, accountOptions(deps) as never);
  for (const id of Object.keys(forms) as FormId[]) app.view(forms[id].slack, formSubmitted(deps, id) as never);
  app.event('app_home_opened', appHomeOpened(deps));
  app.event('channel_left', botLeftChannel(deps));
  app.event('group_left', botLeftChannel(deps));
}
