// Where every Slack listener is wired to the Bolt App, in one place: the /uso command, one handler per button (the
// action ids in chat-actions.ts) and the lists' tick boxes, the App Home, and the bot's removal from a channel.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { chatActions, selection, type ChatAction } from '../chat-actions.js';
import { appHomeOpened, botLeftChannel, button, slashCommand, tick, type SlackDeps } from './listeners.js';

export function register(app: App, deps: SlackDeps): void {
  app.command('/uso', slashCommand(deps));
  for (const action of Object.keys(chatActions) as ChatAction[]) {
    app.action<BlockAction<ButtonAction>>(chatActions[action].slack, button(deps, action));
  }
  app.action(selection.slack, tick);
  app.event('app_home_opened', appHomeOpened(deps));
  app.event('channel_left', botLeftChannel(deps));
  app.event('group_left', botLeftChannel(deps));
}
