// Sign-in for the web console with what schools already have: "Sign in with Slack" and Microsoft Entra ID, both
// OpenID Connect through openid-client (discovery, PKCE, state and nonce, ID token checks). A Slack identity is the
// same `slack:TEAM:USER` chat roles are granted to; a Microsoft one is its tenant and directory object id, matched to
// the Teams user the bot knows by it. Microsoft is asked per organisation (its tenant id or domain), so the issuer of
// every ID token is checked exactly, as for a single-tenant app.
import * as client from 'openid-client';
import { z } from 'zod';
import { UsoError } from '../errors.js';
import type { WebIdentity } from '../store/web-sessions.js';

export type Provider = 'slack' | 'entra';

export interface OidcSettings {
  publicUrl: string;
  slack?: { issuer: string; clientId: string; clientSecret: string };
  entra?: { authority: string; clientId: string; clientSecret: string };
}

/** An organisation as typed on the sign-in page: a tenant id (GUID) or a domain (school.org.uk). */
export const tenantSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/,
    "expected your organisation's domain (school.org.uk) or tenant id",
  );

const configs = new Map<string, Promise<client.Configuration>>();

/** The provider's configuration, discovered once per issuer (a failed discovery is tried again next time). */
function configFor(issuer: string, clientId: string, clientSecret: string): Promise<client.Configuration> {
  const key = `${issuer}|${clientId}`;
  let found = configs.get(key);
  if (!found) {
    const url = new URL(issuer);
    found = client.discovery(url, clientId, clientSecret, undefined, {
      // a provider on this machine (tests, a trial) is spoken to over plain HTTP; anything else only over HTTPS
      ...(url.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(url.hostname)
        ? { execute: [client.allowInsecureRequests] }
        : {}),
    });
    found.catch(() => configs.delete(key));
    configs.set(key, found);
  }
  return found;
}

export function issuerOf(settings: OidcSettings, provider: Provider, tenant?: string): string {
  if (provider === 'slack') {
    if (!settings.slack) throw new UsoError('not_found', 'Sign in with Slack is not set up here');
    return settings.slack.issuer;
  }
  if (!settings.entra) throw new UsoError('not_found', 'Microsoft sign-in is not set up here');
  const parsed = tenantSchema.safeParse(tenant ?? '');
  if (!parsed.success) throw new UsoError('payload_invalid', parsed.error.issues[0]!.message);
  return settings.entra.authority.replace('{tenant}', parsed.data);
}

const credentials = (settings: OidcSettings, provider: Provider) =>
  provider === 'slack' ? settings.slack! : settings.entra!;
export const callbackUrl = (settings: OidcSettings) => new URL('/auth/callback', settings.publicUrl).href;

/** Where to send the browser to sign in, and what to keep until it comes back. */
export async function startSignIn(
  settings: OidcSettings,
  provider: Provider,
  issuer: string,
): Promise<{ redirect: (state: string) => string; codeVerifier: string; nonce: string }> {
  const { clientId, clientSecret } = credentials(settings, provider);
  const config = await configFor(issuer, clientId, clientSecret).catch((err: Error) => {
    throw new UsoError('payload_invalid', `the sign-in service could not be reached (${err.message})`);
  });
  const codeVerifier = client.randomPKCECodeVerifier();
  const challenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const nonce = client.randomNonce();
  return {
    codeVerifier,
    nonce,
    redirect: (state) =>
      client.buildAuthorizationUrl(config, {
        redirect_uri: callbackUrl(settings),
        scope: 'openid profile',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state,
        nonce,
      }).href,
  };
}

const slackClaims = z.object({
  'https://slack.com/team_id': z.string().min(1),
  'https://slack.com/user_id': z.string().min(1).optional(),
  sub: z.string().min(1),
  name: z.string().optional(),
});
const entraClaims = z.object({ tid: z.string().min(1), oid: z.string().min(1), name: z.string().optional() });

export interface SignedIn {
  provider: Provider;
  workspace: string;
  subject: string;
  name: string;
}

/** Completes a sign-in: the code exchanged, the ID token checked, and who it names. */
export async function finishSignIn(
  settings: OidcSettings,
  login: { provider: Provider; issuer: string; codeVerifier: string; nonce: string; state: string },
  currentUrl: URL,
): Promise<SignedIn> {
  const { clientId, clientSecret } = credentials(settings, login.provider);
  const config = await configFor(login.issuer, clientId, clientSecret);
  // the callback is registered at the public address; the request may arrive through a proxy under another
  const url = new URL(callbackUrl(settings));
  url.search = currentUrl.search;
  const tokens = await client.authorizationCodeGrant(config, url, {
    pkceCodeVerifier: login.codeVerifier,
    expectedNonce: login.nonce,
    expectedState: login.state,
    idTokenExpected: true,
  });
  const claims = tokens.claims() ?? {};
  if (login.provider === 'slack') {
    const c = slackClaims.parse(claims);
    const user = c['https://slack.com/user_id'] ?? c.sub;
    return { provider: 'slack', workspace: c['https://slack.com/team_id'], subject: user, name: c.name ?? user };
  }
  const c = entraClaims.parse(claims);
  return { provider: 'entra', workspace: c.tid, subject: c.oid, name: c.name ?? c.oid };
}

/** The chat identity a sign-in stands for, as a session keeps it. */
export function identityOf(signedIn: SignedIn, teamsUserId?: string): WebIdentity {
  return signedIn.provider === 'slack'
    ? { platform: 'slack', workspace: signedIn.workspace, userId: signedIn.subject, displayName: signedIn.name }
    : {
        platform: 'teams',
        workspace: signedIn.workspace,
        userId: teamsUserId ?? signedIn.subject,
        displayName: signedIn.name,
      };
}
