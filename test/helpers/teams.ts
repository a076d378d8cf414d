// Microsoft's side of a Teams conversation, at its HTTP boundary only: the Bot Framework OpenID metadata and
// signing keys (served by nock, so botbuilder's real JWT validation runs), tokens signed with a test key, the
// Microsoft login token endpoint, and the Bot Connector endpoints that replies and card updates go to.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { readFileSync } from 'node:fs';
import nock from 'nock';

export const APP_ID = '6f1c3e2a-8d4b-4f5e-9a7c-1b2d3e4f5a6b';
export const TENANT = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const SERVICE_URL = 'https://smba.trafficmanager.net/uk/';
const KID = 'uso-test-key';
const OPENID = 'https://login.botframework.com';

let privateKey: CryptoKey | undefined;
let publicJwk: Record<string, unknown> | undefined;

/**
 * Serves the Bot Framework OpenID metadata and a JWKS holding the test key, endorsed for Teams. The key is made once
 * per file; call this before each test (the nock setup clears interceptors after each).
 */
export async function serveBotFrameworkKeys(): Promise<void> {
  if (!privateKey) {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = await exportJWK(pair.publicKey);
  }
  const jwk = { ...publicJwk, kid: KID, use: 'sig', alg: 'RS256', endorsements: ['msteams'] };
  nock(OPENID)
    .persist()
    .get('/v1/.well-known/openidconfiguration')
    .reply(200, {
      issuer: 'https://api.botframework.com',
      authorization_endpoint: `${OPENID}/v1/.well-known/authorize`,
      jwks_uri: `${OPENID}/v1/.well-known/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    })
    .get('/v1/.well-known/keys')
    .reply(200, { keys: [jwk] });
}

export interface TokenOptions {
  audience?: string;
  issuer?: string;
  serviceUrl?: string;
  /** Seconds from now; negative for a token that has expired. */
  expiresIn?: number;
  key?: CryptoKey;
}

/** A Bot Framework channel token as Teams sends it, signed with the served key unless another is given. */
export async function channelToken(options: TokenOptions = {}): Promise<string> {
  if (!privateKey) throw new Error('call serveBotFrameworkKeys() first');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ serviceurl: options.serviceUrl ?? SERVICE_URL })
    .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
    .setIssuer(options.issuer ?? 'https://api.botframework.com')
    .setAudience(options.audience ?? APP_ID)
    .setIssuedAt(now - 60)
    .setNotBefore(now - 60)
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(options.key ?? privateKey);
}

/** A key nobody published, for forged tokens. */
export async function strangerKey(): Promise<CryptoKey> {
  return (await generateKeyPair('RS256')).privateKey;
}

/** The bot's own token requests to Microsoft login (client credentials): their paths and form fields. */
export function serveBotToken(): { scope: nock.Scope; requests: { path: string; form: Record<string, string> }[] } {
  const requests: { path: string; form: Record<string, string> }[] = [];
  const scope = nock('https://login.microsoftonline.com')
    .persist()
    .post(/\/oauth2\/v2\.0\/token/)
    .query(true)
    .reply(function (uri, body) {
      requests.push({ path: uri.split('?')[0]!, form: Object.fromEntries(new URLSearchParams(String(body))) });
      return [200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: 'bot-access-token' }];
    });
  return { scope, requests };
}

export interface Person {
  id: string;
  name: string;
  aadObjectId?: string;
}

export const HEAD: Person = {
  id: '29:head-user',
  name: 'Hazel Head',
  aadObjectId: '11111111-2222-4333-8444-555555555555',
};
export const CHANNEL = '19:uso-admins@thread.tacv2';

/** A captured Teams activity from test/fixtures/teams, fresh each time (callers change it). */
function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../fixtures/teams/${name}.json`, import.meta.url), 'utf8')) as Record<
    string,
    any
  >;
}
const newId = () => `${Date.now()}${Math.floor(Math.random() * 1000)}`;
const inChannel = (conversation: string) => conversation.startsWith('19:');

/** Who sent it and where: a channel post arrives in its thread (`;messageid=` the thread's first message). */
function addressed(activity: Record<string, any>, from: Person, conversation: string, threadOf: string) {
  activity.from = { ...from };
  activity.conversation.id = inChannel(conversation) ? `${conversation};messageid=${threadOf}` : conversation;
  if (inChannel(conversation))
    activity.channelData = { ...activity.channelData, channel: { id: conversation }, teamsChannelId: conversation };
  activity.timestamp = new Date().toISOString();
  return activity;
}

/** A message to the bot, shaped as Teams sends it; in a channel it starts with the bot's @mention. */
export function message(text: string, options: { from?: Person; conversation?: string; mentions?: Person[] } = {}) {
  const conversation = options.conversation ?? CHANNEL;
  const activity = fixture(inChannel(conversation) ? 'message-in-channel' : 'message-in-personal-chat');
  activity.id = newId();
  activity.text = inChannel(conversation) ? `<at>USO</at> ${text}` : text;
  const mentions = (options.mentions ?? []).map((p) => ({
    type: 'mention',
    mentioned: { id: p.id, name: p.name },
    text: `<at>${p.name}</at>`,
  }));
  activity.entities = [...activity.entities, ...mentions];
  delete activity.attachments; // the HTML copy of the text: the bot reads `text`
  return addressed(activity, options.from ?? HEAD, conversation, activity.id);
}

/** The bot added to or removed from a team (Teams sends it in the team's General channel, whose id is the team's). */
export function botInTeam(change: 'membersAdded' | 'membersRemoved', by: Person = HEAD) {
  const activity = fixture(
    change === 'membersAdded' ? 'conversation-update-bot-added' : 'conversation-update-bot-removed',
  );
  activity.id = `f:${newId()}`;
  activity.from = { id: by.id, ...(by.aadObjectId ? { aadObjectId: by.aadObjectId } : {}) };
  return activity;
}

/** An Action.Execute press on a card the bot posted (`replyToId` is that message's id). */
export function execute(
  verb: string,
  data: Record<string, unknown>,
  options: { from?: Person; conversation?: string; replyToId?: string } = {},
) {
  const activity = fixture('invoke-action-execute');
  activity.id = `f:${newId()}`;
  activity.replyToId = options.replyToId ?? 'card-1';
  activity.value.action = { type: 'Action.Execute', title: verb, verb, data };
  return addressed(activity, options.from ?? HEAD, options.conversation ?? CHANNEL, activity.replyToId);
}

/** A typeahead search from an Input.ChoiceSet with a Data.Query (Teams' `application/search` invoke). */
export function searchInvoke(
  dataset: string,
  queryText: string,
  options: { from?: Person; conversation?: string } = {},
) {
  const activity = fixture('invoke-action-execute');
  activity.id = `f:${newId()}`;
  activity.name = 'application/search';
  activity.value = { queryText, dataset, queryOptions: { skip: 0, top: 15 } };
  delete activity.replyToId;
  return addressed(activity, options.from ?? HEAD, options.conversation ?? CHANNEL, 'card-1');
}

/** Replies and new posts into a conversation at the Bot Connector, capturing their bodies. */
export interface Sent {
  conversation: string;
  /** The message id, for updates. */
  id?: string;
  body: Record<string, unknown>;
  authorization?: string;
}

let n = 0; // message ids stay unique across a file's tests, as Teams' do

export function connector(): { scope: nock.Scope; posted: Sent[]; updated: Sent[] } {
  const posted: Sent[] = [];
  const updated: Sent[] = [];
  const scope = nock(SERVICE_URL.replace(/\/uk\/$/, ''))
    .persist()
    .post(/\/uk\/v3\/conversations\/[^/]+\/activities(\/[^/]+)?$/)
    .reply(function (uri, body) {
      const conversation = decodeURIComponent(uri.split('/')[4]!);
      posted.push({
        conversation,
        body: body as Record<string, unknown>,
        authorization: String(this.req.headers.authorization ?? ''),
      });
      return [200, { id: `posted-${++n}` }];
    })
    .put(/\/uk\/v3\/conversations\/[^/]+\/activities\/[^/]+$/)
    .reply(function (uri, body) {
      const parts = uri.split('/');
      updated.push({
        conversation: decodeURIComponent(parts[4]!),
        id: decodeURIComponent(parts[6]!),
        body: body as Record<string, unknown>,
        authorization: String(this.req.headers.authorization ?? ''),
      });
      return [200, { id: decodeURIComponent(parts[6]!) }];
    });
  return { scope, posted, updated };
}

/** The Adaptive Card in a posted or updated activity, or in an invoke response. */
export function cardIn(body: Record<string, unknown>): Record<string, unknown> | undefined {
  if (body.type === 'application/vnd.microsoft.card.adaptive') return body.value as Record<string, unknown>;
  const attachments = body.attachments as { contentType: string; content: Record<string, unknown> }[] | undefined;
  return attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

/** Every Action.Execute in a card, wherever it sits. */
export function actionsIn(card: unknown): { title: string; verb: string; data: Record<string, unknown> }[] {
  const out: { title: string; verb: string; data: Record<string, unknown> }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.type === 'Action.Execute') out.push(o as never);
    Object.values(o).forEach(walk);
  };
  walk(card);
  return out;
}
