// The captured-shape fixtures (test/fixtures) and the known-answer signature vectors: our verifiers accept the
// vectors (Slack's own, from its documentation; Integris', computed with openssl apart from our code) and refuse
// them altered, and every fixture passes the same parsing the live endpoints do.
import { readFileSync } from 'node:fs';
import { verifySlackRequest } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { parseSlackBody } from '../src/bot/slack/payloads.js';
import { parseButtonData } from '../src/bot/chat-actions.js';
import { parseReport, studentSchema } from '../src/domain/records.js';
import { signIntegrisBody, verifyIntegrisSignature } from '../src/sync/integris/signature.js';
import { webhookEventSchema } from '../src/webhooks/integris.js';

const fixture = (path: string) => JSON.parse(readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8'));

describe('known-answer signature vectors', () => {
  it("Slack's documented request verifies with the verifier the receiver uses, and fails altered", () => {
    const v = fixture('slack/signature-vector.json');
    const check = (body: string, signature: string) =>
      verifySlackRequest({
        signingSecret: v.signingSecret,
        body,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': v.timestamp },
        nowMilliseconds: v.timestamp * 1000 + 30_000,
      });
    expect(() => check(v.body, v.signature)).not.toThrow();
    expect(() => check(v.body.replace('roadrunner', 'coyote'), v.signature)).toThrow();
    expect(() => check(v.body, v.signature.replace('a2114', 'a2115'))).toThrow();
  });

  it('the Integris vector verifies over its bytes, signs to the same hex, and fails altered or stale', () => {
    const v = fixture('integris/signature-vector.json');
    expect(signIntegrisBody(v.body, v.secret, v.timestamp)).toBe(v.signature);
    expect(signIntegrisBody(Buffer.from(v.body), v.secret, v.timestamp)).toBe(v.signature);
    const header = `t=${v.timestamp},v1=${v.signature}`;
    expect(verifyIntegrisSignature(header, v.body, [v.secret], v.timestamp + 10)).toEqual({ ok: true });
    expect(verifyIntegrisSignature(header, v.body.replace('P000123', 'P000124'), [v.secret], v.timestamp)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyIntegrisSignature(header, v.body, [v.secret], v.timestamp + 301)).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(webhookEventSchema.safeParse(JSON.parse(v.body)).success).toBe(true);
  });
});

describe('captured-shape fixtures', () => {
  it('Slack: a slash command, a button press and an event parse as the receiver parses them', () => {
    const command = parseSlackBody(
      new URLSearchParams(fixture('slack/slash-command.json')).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(command).toMatchObject({ ok: true, body: { command: '/uso', text: 'status', user_id: 'UHEAD' } });
    const press = fixture('slack/block-actions.json');
    expect(
      parseSlackBody(
        new URLSearchParams({ payload: JSON.stringify(press) }).toString(),
        'application/x-www-form-urlencoded',
      ),
    ).toMatchObject({ ok: true });
    expect(parseButtonData(press.actions[0].value)).toEqual({ d: '2092000', page: 1 });
    expect(
      parseSlackBody(JSON.stringify(fixture('slack/event-app-home-opened.json')), 'application/json'),
    ).toMatchObject({ ok: true, body: { event: { type: 'app_home_opened' } } });
  });

  it('Integris: a students page and a webhook parse record by record as the client and the route parse them', () => {
    const page = fixture('integris/students-page.json');
    const parsed = parseReport('students', page.data);
    expect(parsed.invalid).toEqual([]);
    expect(parsed.records.map((r) => r.personId)).toEqual(['P000123', 'P000456']);
    expect(studentSchema.safeParse({ ...page.data[0], dateOfBirth: '2015-02-30' }).success).toBe(false);
    expect(webhookEventSchema.parse(fixture('integris/webhook-records-changed.json')).data.reports).toEqual([
      'students',
      'groups',
    ]);
  });
});
