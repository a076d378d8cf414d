// Where subscribers' events may go. Children's data leaves the service only for the public HTTPS address an operator
// registered: never to loopback, link-local (the cloud metadata service), private or other internal addresses, unless
// the operator allowed that for the subscriber, and never with credentials in the URL. The address is checked when
// the subscriber is added and again at every delivery, after DNS resolution, and the connection goes to exactly the
// address checked (a name that resolves elsewhere by then cannot redirect it). Redirects are never followed.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { UsoError } from '../errors.js';

export interface DestinationPolicy {
  /** Plain http allowed (a named internal host the operator vouches for). */
  allowHttp?: boolean;
  /** Loopback, private, link-local and other internal addresses allowed. */
  allowPrivate?: boolean;
}

const internal = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  internal.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  internal.addSubnet(net, prefix, 'ipv6');

/** True for an address no event may be sent to without the operator's leave. */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isInternalAddress(mapped);
  const family = isIP(address);
  if (family === 0) return true;
  return internal.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

// connections are kept open between deliveries (a subscriber takes a night's events one after another); a socket is
// only ever opened to an address checked as below
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** The URL's own problems (scheme, credentials), whatever it resolves to; throws `payload_invalid` with the reason. */
export function checkDestinationUrl(text: string, policy: DestinationPolicy = {}): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsoError('payload_invalid', 'the subscriber URL is not a URL');
  }
  if (url.username || url.password)
    throw new UsoError('payload_invalid', 'the subscriber URL carries credentials: give none in a URL');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp))
    throw new UsoError(
      'payload_invalid',
      `the subscriber URL must be https (plain http only with --allow-http for a host you vouch for)`,
    );
  return url;
}

const resolveAll = (host: string) =>
  new Promise<LookupAddress[]>((ok, fail) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? fail(err) : ok(addresses))),
  );

/** The addresses the URL's host resolves to, refused when any is internal and the policy does not allow it. */
export async function resolveDestination(url: URL, policy: DestinationPolicy = {}): Promise<LookupAddress[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolveAll(host);
  if (addresses.length === 0) throw new UsoError('payload_invalid', `${host} does not resolve`);
  if (!policy.allowPrivate && addresses.some((a) => isInternalAddress(a.address)))
    throw new UsoError(
      'forbidden',
      `${host} resolves to an internal address (loopback, private, link-local or reserved): events go only to public addresses unless the operator allows this subscriber with --allow-private`,
    );
  return addresses;
}

/**
 * POSTs to the destination as checked: the URL again, its host resolved and checked again, and the connection made to
 * that very address. Resolves to the answer's status (a redirect is a status like any other, never followed).
 */
export async function postToDestination(
  text: string,
  policy: DestinationPolicy,
  init: { headers: Record<string, string>; body: string; timeoutMs: number },
): Promise<number> {
  const url = checkDestinationUrl(text, policy);
  const [first] = await resolveDestination(url, policy);
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: LookupAddress[]) => void)(null, [first!]);
    else callback(null, first!.address, first!.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((ok, fail) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
        lookup: pinned,
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        timeout: init.timeoutMs,
      },
      (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })));
    req.on('error', fail);
    req.end(init.body);
  });
}
