import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Ranges no webhook may reach unless the operator allows them, with the name said in refusals. */
const REFUSED_RANGES: readonly (readonly [string, number, 'ipv4' | 'ipv6', string])[] = [
  ['0.0.0.0', 8, 'ipv4', 'a "this network" address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a carrier-grade NAT address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local (cloud metadata) address'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['::', 128, 'ipv6', 'the unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['fc00::', 7, 'ipv6', 'a unique-local (private) address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
];

/** Cloud metadata services reachable by name from inside a VM. */
const METADATA_HOSTS: ReadonlySet<string> = new Set(['metadata.google.internal', 'metadata.goog']);

const UNLESS = 'is refused unless TRAITFORGE_WEBHOOK_ALLOW allows it';

const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** An allow-list entry: an IP address, a CIDR range, or a host name. Undefined when it is neither. */
export function allowEntryKind(entry: string): 'address' | 'range' | 'host' | undefined {
  const [address = '', prefix, ...rest] = entry.split('/');
  if (rest.length > 0) return undefined;
  const family = isIP(address);
  if (family !== 0) {
    if (prefix === undefined) return 'address';
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128) ? 'range' : undefined;
  }
  return prefix === undefined && HOST_NAME.test(entry) ? 'host' : undefined;
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** `[::1]` as URL.hostname gives it → `::1`. */
function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Thrown when a destination is refused; the message names the address and how to allow it. */
export class DestinationRefusedError extends Error {
  override name = 'DestinationRefusedError';
}

/**
 * Where outbound requests to user-given URLs (webhooks) may go. Loopback, private, link-local,
 * carrier-grade NAT and cloud-metadata destinations are refused unless TRAITFORGE_WEBHOOK_ALLOW
 * names the host or covers the address. The check runs on the address actually connected to
 * (`lookup` below is what the socket uses), so a name that resolves elsewhere at delivery time
 * (DNS rebinding) gains nothing. IPv4-mapped IPv6 forms match their IPv4 ranges (BlockList).
 */
export class DestinationPolicy {
  private readonly refused = new BlockList();
  private readonly refusedReasons: readonly [BlockList, string][];
  private readonly allowed = new BlockList();
  private readonly allowedHosts: ReadonlySet<string>;

  constructor(
    allow: readonly string[],
    private readonly resolve: typeof dnsLookup = dnsLookup,
  ) {
    this.refusedReasons = REFUSED_RANGES.map(([net, prefix, type, reason]) => {
      this.refused.addSubnet(net, prefix, type);
      const one = new BlockList();
      one.addSubnet(net, prefix, type);
      return [one, reason];
    });
    const hosts = new Set<string>();
    for (const entry of allow) {
      const kind = allowEntryKind(entry);
      if (kind === 'host') hosts.add(entry.toLowerCase());
      else if (kind === 'address') this.allowed.addAddress(entry, familyOf(entry));
      else if (kind === 'range') {
        const [net = '', prefix = ''] = entry.split('/');
        this.allowed.addSubnet(net, Number(prefix), familyOf(net));
      } else throw new Error(`"${entry}" is not a host name, IP address or CIDR range`);
    }
    this.allowedHosts = hosts;
  }

  private hostAllowed(host: string): boolean {
    return this.allowedHosts.has(bare(host).toLowerCase());
  }

  /** `<address> (<the range it is in>)` when refused for a request to `host`; undefined when allowed. */
  refusal(address: string, host: string): string | undefined {
    if (this.hostAllowed(host)) return undefined;
    const type = familyOf(address);
    if (!this.refused.check(address, type) || this.allowed.check(address, type)) return undefined;
    const reason =
      this.refusedReasons.find(([list]) => list.check(address, type))?.[1] ?? 'a refused address';
    return `${address} (${reason})`;
  }

  /**
   * What can be judged from the URL alone: a metadata host name, or a literal address (in any
   * form the URL parser normalizes, e.g. `0x7f000001`). Names are judged when connecting.
   */
  urlRefusal(url: URL): string | undefined {
    const host = bare(url.hostname).toLowerCase();
    if (this.hostAllowed(host)) return undefined;
    if (METADATA_HOSTS.has(host)) {
      return `${host} (a cloud metadata service) ${UNLESS}`;
    }
    const refusal = isIP(host) === 0 ? undefined : this.refusal(host, host);
    return refusal === undefined ? undefined : `${refusal} ${UNLESS}`;
  }

  /**
   * A `lookup` for http(s).request: resolves the name, then refuses the connection when any
   * address it would use is refused. Node connects only to the addresses this returns.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname, { ...options, all: true }, (error, resolved) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const addresses = resolved as unknown as LookupAddress[];
      for (const { address } of addresses) {
        const refusal = this.refusal(address, hostname);
        if (refusal !== undefined) {
          callback(new DestinationRefusedError(`${hostname} resolves to ${refusal}, which ${UNLESS}`), '', 0);
          return;
        }
      }
      if (options.all) callback(null, addresses);
      else {
        const first = addresses[0];
        if (!first) callback(new Error(`${hostname} has no address`), '', 0);
        else callback(null, first.address, first.family);
      }
    });
  };
}
