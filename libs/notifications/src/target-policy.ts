import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// Never reachable, whatever the configuration: link-local (cloud metadata lives there) and AWS's IPv6 metadata.
const ALWAYS_DENIED = new BlockList();
ALWAYS_DENIED.addSubnet('169.254.0.0', 16, 'ipv4');
ALWAYS_DENIED.addSubnet('fe80::', 10, 'ipv6');
ALWAYS_DENIED.addAddress('fd00:ec2::254', 'ipv6');
ALWAYS_DENIED.addSubnet('0.0.0.0', 8, 'ipv4');

// Private and loopback: refused unless SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true.
const PRIVATE = new BlockList();
for (const [net, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['127.0.0.0', 8], ['100.64.0.0', 10]] as const) PRIVATE.addSubnet(net, prefix, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

export class TargetDeniedError extends Error {}

/**
 * Checks an outgoing URL against the SSRF policy after DNS resolution, so a name pointing at a
 * metadata or private address is refused like the address itself. Returns the addresses checked.
 */
export async function checkOutgoingTarget(rawUrl: string, allowPrivate: boolean): Promise<string[]> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new TargetDeniedError('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TargetDeniedError('must be an http:// or https:// URL');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      throw new TargetDeniedError(`host ${host} does not resolve`);
    }
  }
  for (const address of addresses) {
    const family: 'ipv4' | 'ipv6' = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const [checked, checkedFamily] = mapped ? [mapped, 'ipv4' as const] : [address, family];
    if (ALWAYS_DENIED.check(checked, checkedFamily)) throw new TargetDeniedError(`${host} resolves to ${address}, a link-local or metadata address, which is never allowed`);
    if (!allowPrivate && PRIVATE.check(checked, checkedFamily)) {
      throw new TargetDeniedError(`${host} resolves to ${address}, a private or loopback address (allowed only with SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true)`);
    }
  }
  return addresses;
}
