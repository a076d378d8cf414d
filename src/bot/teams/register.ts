// Where every Teams listener is wired to the teams-ai Application, in one place: lifecycle, messages, card buttons
// (one per action in chat-actions.ts), and the catch-all for cards from older versions of the bot.
import type { Application, TurnState } from '@microsoft/teams-ai';
import { ActivityTypes } from 'botbuilder';
import { chatActions, type ChatAction } from '../chat-actions.js';
import {
  cardAction,
  membersAdded,
  membersRemoved,
  message,
  outOfDateCard,
  turnFailed,
  type TeamsDeps,
} from './listeners.js';

export function register(app: Application<TurnState>, deps: TeamsDeps): void {
  app.error(turnFailed(deps));
  app.conversationUpdate('membersAdded', membersAdded(deps));
  app.conversationUpdate('membersRemoved', membersRemoved(deps));
  app.activity(ActivityTypes.Message, message(deps));
  for (const action of Object.keys(chatActions) as ChatAction[]) {
    app.adaptiveCards.actionExecute(chatActions[action].teams, cardAction(deps, action) as never);
  }
  // registered last, so it only answers verbs nothing above knows
  app.adaptiveCards.actionExecute(/.*/, outOfDateCard);
}
