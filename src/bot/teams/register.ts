// Where every Teams listener is wired to the teams-ai Application, in one place: lifecycle, messages, card buttons
// (one per action of action-defs.ts), form submissions, the account search, and the catch-all for cards from older versions of the bot.
import { actionDefs, type ChatActionDef } from '../action-defs.js';
import type { Application, TurnState } from '@microsoft/teams-ai';
import { ActivityTypes } from 'botbuilder';
import { forms, type ChatAction, type FormId } from '../chat-actions.js';
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
  // one handler per action of the shared table, which says what each does on both platforms
  for (const [action, def] of Object.entries(actionDefs) as [ChatAction, ChatActionDef][])
    app.adaptiveCards.actionExecute(def.ids.teams, cardAction(deps, action) as never);
  for (const id of Object.keys(forms) as FormId[])
    app.adaptiveCards.actionExecute(forms[id].teams, formSubmitted(deps, id) as never);
  app.adaptiveCards.search(ACCOUNT_SEARCH, accountSearch(deps) as never);
  // registered last, so it only answers verbs nothing above knows
  app.adaptiveCards.actionExecute(/.*/, outOfDateCard);
}
