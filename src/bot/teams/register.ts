// Where every Teams listener is wired to the teams-ai Application, in one place: lifecycle, messages, card buttons
// (one per action in chat-actions.ts), form submissions, the account search, and the catch-all for cards from older versions of the bot.
import type { Application, TurnState } from '@microsoft/teams-ai';
import { ActivityTypes } from 'botbuilder';
import { chatActions, forms, type ChatAction, type FormId } from '../chat-actions.js';
import { ACCOUNT_SEARCH } from '../views/cards.js';
import {
  accountSearch,
  cardAction,
  formSubmitted,
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
  for (const id of Object.keys(forms) as FormId[])
    app.adaptiveCards.actionExecute(forms[id].teams, formSubmitted(deps, id) as never);
  app.adaptiveCards.search(ACCOUNT_SEARCH, accountSearch(deps) as never);
  // registered last, so it only answers verbs nothing above knows
  app.adaptiveCards.actionExecute(/.*/, outOfDateCard);
}
