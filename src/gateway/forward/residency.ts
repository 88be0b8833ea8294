/**
 * Data residency at the point where bytes leave (Decision 19): each region lists the vendor
 * endpoints its tenants' data may go to, and nothing else is reachable (deny by default). An
 * endpoint may also pin the addresses its name must resolve to, so a changed DNS answer cannot
 * move data to another country.
 */
import { BlockList, isIP } from "node:net";
import { CrosscheckError } from "../../errors/index.js";

export interface RegionEndpoints {
  region: string;
  endpoints: {
    url: string;
    /** CIDRs (or single addresses) the resolved address must fall in; any address when absent. */
    allowedAddresses?: string[];
  }[];
}

/** An endpoint ready to send to: its parsed URL and the addresses it may resolve to. */
export interface Endpoint {
  url: URL;
  /** `scheme://host:port`, how messages name it. */
  origin: string;
  allows(address: string): boolean;
}

const configError = (message: string) => new CrosscheckError("E_GATEWAY_CONFIG", message);

/**
 * Checks the regions and returns each region's endpoints, in the order given (the failover
 * order). Refuses what would make residency ambiguous or leak secrets: one origin in two
 * regions, credentials in a URL, anything but http(s), malformed address ranges.
 */
export function endpointsByRegion(regions: RegionEndpoints[]): Map<string, Endpoint[]> {
  const byRegion = new Map<string, Endpoint[]>();
  const owner = new Map<string, string>();
  for (const { region, endpoints } of regions) {
    if (typeof region !== "string" || region === "") {
      throw configError("Every region in the gateway configuration needs a name.");
    }
    if (byRegion.has(region)) {
      throw configError(`Region ${region} is listed twice in the gateway configuration.`);
    }
    const list: Endpoint[] = [];
    for (const endpoint of endpoints) {
      const url = parseEndpointUrl(endpoint.url, region);
      const origin = `${url.protocol}//${url.host}`;
      const other = owner.get(origin);
      if (other !== undefined) {
        throw configError(
          other === region
            ? `The vendor endpoint ${origin} is listed twice in region ${region}; list it once.`
            : `The vendor endpoint ${origin} is listed in regions ${other} and ${region}; an endpoint belongs to one region, or residency means nothing.`,
        );
      }
      owner.set(origin, region);
      list.push({ url, origin, allows: addressFilter(endpoint.allowedAddresses, origin) });
    }
    byRegion.set(region, list);
  }
  return byRegion;
}

/** Throws E_GATEWAY_CONFIG when the regions' endpoints are unusable or ambiguous. */
export function checkRegions(regions: RegionEndpoints[]): void {
  endpointsByRegion(regions);
}

function parseEndpointUrl(text: string, region: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError(
      `The vendor endpoint ${JSON.stringify(text)} of region ${region} is not a URL.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw configError(
      `The vendor endpoint ${JSON.stringify(text)} of region ${region} is not an http(s) URL.`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw configError(
      `The vendor endpoint of region ${region} has credentials in its URL; remove them (URLs end up in logs and in the audit trail).`,
    );
  }
  if (url.hash !== "") {
    throw configError(
      `The vendor endpoint ${url.origin} of region ${region} has a #fragment; remove it.`,
    );
  }
  return url;
}

function addressFilter(ranges: string[] | undefined, origin: string): (address: string) => boolean {
  if (ranges === undefined) return () => true;
  if (ranges.length === 0) {
    throw configError(
      `The vendor endpoint ${origin} has an empty allowedAddresses list, which allows no address; omit the list to allow any.`,
    );
  }
  const list = new BlockList();
  for (const range of ranges) {
    const [address = "", prefix, ...rest] = range.split("/");
    const version = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const max = version === 6 ? 128 : 32;
    if (
      version === 0 ||
      rest.length > 0 ||
      (bits !== undefined && (!/^\d{1,3}$/.test(prefix ?? "") || (bits as number) > max))
    ) {
      throw configError(
        `${JSON.stringify(range)} in allowedAddresses of ${origin} is not an address or CIDR range (e.g. 203.0.113.0/24).`,
      );
    }
    const type = version === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  return (address) => {
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 6 ? "ipv6" : "ipv4");
  };
}
