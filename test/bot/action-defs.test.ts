// The one table of chat actions: every action once, its ids unique on each platform, and the ones that ask first
// exactly those the renderers put a confirmation on.
import { describe, expect, it } from 'vitest';
import { actionDefs } from '../../src/bot/action-defs.js';
import { chatActions, confirmedActions } from '../../src/bot/chat-actions.js';

describe('chat actions, defined once', () => {
  it('defines every action with its own ids on each platform', () => {
    expect(Object.keys(actionDefs).sort()).toEqual(Object.keys(chatActions).sort());
    for (const [name, def] of Object.entries(actionDefs))
      expect(def.ids, name).toBe(chatActions[name as keyof typeof chatActions]);
    for (const platform of ['slack', 'teams'] as const) {
      const ids = Object.values(actionDefs).map((d) => d.ids[platform]);
      expect(new Set(ids).size, platform).toBe(ids.length);
    }
  });

  it('asks first for exactly the actions the renderers confirm, and only those that decide something', () => {
    const asking = Object.entries(actionDefs)
      .filter(([, d]) => d.confirm)
      .map(([name]) => name);
    expect(asking.sort()).toEqual([...confirmedActions].sort());
    for (const name of asking) expect(actionDefs[name as keyof typeof actionDefs].need).not.toBe('read');
  });
});
