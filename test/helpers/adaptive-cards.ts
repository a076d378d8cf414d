// Checks a card the way the Adaptive Cards SDK reads it at schema 1.5 (what Teams renders): unknown element or
// action types and invalid property values are reported, as Teams would drop or refuse them. The SDK's ESM build
// cannot be imported in Node (extension-less imports), so its UMD bundle is loaded.
import { createRequire } from 'node:module';

interface AdaptiveCardsSdk {
  AdaptiveCard: new () => { parse(json: unknown, context: unknown): void };
  SerializationContext: new (version: unknown) => { eventCount: number; getEventAt(i: number): { message: string } };
  Version: new (major: number, minor: number) => unknown;
}

const sdk = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as AdaptiveCardsSdk;

/** What the Adaptive Cards SDK objects to in the card, read at schema 1.5; empty when it reads cleanly. */
export function adaptiveCardErrors(card: unknown): string[] {
  const context = new sdk.SerializationContext(new sdk.Version(1, 5));
  new sdk.AdaptiveCard().parse(card, context);
  return Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message).filter(
    // Teams reads typeahead search (`choices.data`) in 1.5 cards, as its documentation's examples do; the SDK dates it 1.6
    (m) => !/^Property "choices\.data" is supported in version 1\.6/.test(m),
  );
}
