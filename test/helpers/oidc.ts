// A real OpenID provider on this machine (oidc-provider), standing in for "Sign in with Slack" and Microsoft Entra ID,
// and a fetch with a cookie jar that signs in through its login and consent pages as a browser would.
import { createServer, type Server } from 'node:http';
import type Provider from 'oidc-provider';
import { freePort } from '../../src/store/index.js';

export interface LocalProvider {
  issuer: string;
  /** Who signs in next: the claims the ID token carries for them. */
  accounts: Map<string, Record<string, string>>;
  close(): Promise<void>;
}

/**
 * The provider's notices about its own development settings (in-memory storage, development keys and login pages,
 * and that it prefers Node 22) are for people deploying it, not for these tests: they are left out of the output.
 */
function quietly<T>(work: () => Promise<T>): Promise<T> {
  const { warn, info } = console;
  const drop =
    (keep: (...a: unknown[]) => void) =>
    (...args: unknown[]) =>
      String(args[0]).startsWith('oidc-provider') ? undefined : keep(...args);
  console.warn = drop(warn);
  console.info = drop(info);
  return work().finally(() => Object.assign(console, { warn, info }));
}

export async function startOidcProvider(
  clients: { id: string; secret: string; redirect: string }[],
): Promise<LocalProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map<string, Record<string, string>>();
  const { default: OidcProvider } = await quietly(() => import('oidc-provider'));
  const provider: Provider = await quietly(
    async () =>
      new OidcProvider(issuer, {
        clients: clients.map((c) => ({
          client_id: c.id,
          client_secret: c.secret,
          redirect_uris: [c.redirect],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        })),
        pkce: { required: () => true },
        conformIdTokenClaims: false,
        claims: {
          openid: ['sub'],
          profile: ['name', 'https://slack.com/team_id', 'https://slack.com/user_id', 'tid', 'oid'],
        },
        findAccount: async (_ctx, id) => ({
          accountId: id,
          claims: async () => ({ sub: id, ...(accounts.get(id) ?? {}) }),
        }),
        features: { devInteractions: { enabled: true } },
        ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600 },
      }),
  );
  // quiet: the provider's own warnings about development settings are for its users, not these tests
  (provider as unknown as { on(e: string, f: (...a: unknown[]) => void): void }).on('server_error', (_c, e) =>
    process.stderr.write(String((e as Error).stack)),
  );
  const handle = provider.callback();
  // its first requests print the rest of its notices
  const server: Server = createServer((req, res) => void quietly(async () => handle(req, res)));
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return {
    issuer,
    accounts,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** A fetch that keeps cookies per host and follows redirects itself, like a browser. */
export function browserFetch() {
  const jar = new Map<string, Map<string, string>>();
  const send = async (url: string, init: RequestInit = {}): Promise<{ res: Response; url: string; body: string }> => {
    for (let hops = 0; hops < 20; hops++) {
      const host = new URL(url).host;
      const cookies = jar.get(host) ?? new Map<string, string>();
      const headers = new Headers(init.headers);
      if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      const res = await fetch(url, { ...init, headers, redirect: 'manual' });
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';');
        const [name, ...value] = pair!.split('=');
        const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
        if (expired) cookies.delete(name!.trim());
        else cookies.set(name!.trim(), value.join('='));
      }
      jar.set(host, cookies);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).href;
        init = {};
        continue;
      }
      return { res, url, body: await res.text() };
    }
    throw new Error('too many redirects');
  };
  return { send, jar };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
export const postForm = form;

/** Signs in from the console's sign-in form through the provider's login and consent pages; returns the page reached. */
export async function signInThrough(
  browser: ReturnType<typeof browserFetch>,
  consoleUrl: string,
  provider: 'slack' | 'entra',
  login: string,
  fields: Record<string, string> = {},
) {
  let page = await browser.send(`${consoleUrl}/auth/${provider}`, form(fields));
  for (let step = 0; step < 4 && page.url.includes('/interaction/'); step++) {
    const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
    if (!action) throw new Error(`no form on ${page.url}: ${page.res.status} ${page.body.slice(0, 600)}`);
    const fields: Record<string, string> = {};
    for (const input of page.body.matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(input[0])?.[1];
      if (name) fields[name] = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
    }
    if ('login' in fields) Object.assign(fields, { login, password: 'x' });
    page = await browser.send(new URL(action, page.url).href, form(fields));
  }
  return page;
}
