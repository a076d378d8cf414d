// What libraries write to the console reaches the service's log without the payloads they quote.
import { afterEach, describe, expect, it } from 'vitest';
import { routeConsoleTo } from '../src/log.js';
import { captureLogger } from './helpers/log.js';

const saved = { ...console };
afterEach(() => Object.assign(console, saved));

describe('the console, routed to the log', () => {
  it('keeps an error message and the words before a quoted payload, never an object or the payload', () => {
    const log = captureLogger('debug');
    routeConsoleTo(log.logger);
    const activity = { text: 'Amelia Whitfield, born 2016-03-14', upn: 'A123456789012' };
    console.error(new Error('send failed'), activity);
    console.warn(`BadRequest: activity ${JSON.stringify(activity)}`);
    console.debug('request body:\n', activity.text);
    expect(log.lines.map((l) => [l['level'], l['msg']])).toEqual([
      [50, 'send failed [object]'],
      [40, 'BadRequest: activity …'],
      [20, 'request body: [string]'],
    ]);
  });
});
