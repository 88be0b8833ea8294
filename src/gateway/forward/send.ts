/**
 * One POST to a vendor endpoint over a connection pinned to an address we chose and checked:
 * the name is resolved once, by us, and the socket may go nowhere else (no second lookup that
 * DNS could answer differently, no redirects followed). TLS still verifies the certificate
 * against the endpoint's name. The address the socket really reached is what gets recorded.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { rootCertificates } from "node:tls";

/** Response bytes read at most: enough for an error message, never an unbounded download. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** The endpoint's addresses: an IP literal as it is, a name through the system resolver. */
export async function resolveHost(url: URL): Promise<ResolvedAddress[]> {
  const host = bareHost(url);
  const literal = isIP(host);
  if (literal !== 0) return [{ address: host, family: literal as 4 | 6 }];
  const found = await dnsLookup(host, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
}

export interface PinnedPost {
  url: URL;
  to: ResolvedAddress;
  headers: Record<string, string>;
  body: Uint8Array;
  timeoutMs: number;
  /** Extra trusted CA certificates, added to Node's bundled roots. */
  ca?: (string | Buffer)[];
}

export interface UpstreamAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** `address:port` of the socket's peer (IPv6 in brackets). */
  remote: string;
  /** The start of the response body, for error messages. */
  excerpt: string;
}

/** Sends the request; rejects on any failure before a status line arrived (connect, TLS, timeout). */
export function postPinned(req: PinnedPost): Promise<UpstreamAnswer> {
  const { url, to } = req;
  const host = bareHost(url);
  const secure = url.protocol === "https:";
  // Node may ask for one address or for all (autoSelectFamily); both get only the pinned one.
  const lookup = ((
    _name: string,
    options: { all?: boolean },
    callback: (...args: unknown[]) => void,
  ) => {
    if (options.all) callback(null, [{ address: to.address, family: to.family }]);
    else callback(null, to.address, to.family);
  }) as unknown as LookupFunction;
  const options: https.RequestOptions = {
    method: "POST",
    host,
    port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: { ...req.headers, host: url.host, "content-length": String(req.body.length) },
    agent: false,
    lookup,
    family: to.family,
  };
  if (secure) {
    options.rejectUnauthorized = true;
    if (isIP(host) === 0) options.servername = host;
    if (req.ca) options.ca = [...rootCertificates, ...req.ca];
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const request = (secure ? https : http).request(options, (res) => {
      const socket = res.socket;
      const remoteAddress = socket?.remoteAddress ?? "";
      const remote = remoteAddress.includes(":")
        ? `[${remoteAddress}]:${socket?.remotePort}`
        : `${remoteAddress}:${socket?.remotePort}`;
      if (remoteAddress !== to.address) {
        res.destroy();
        fail(new Error(`connected to ${remote}, not the pinned address ${to.address}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const excerpt = Buffer.concat(chunks).subarray(0, 200).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, remote, excerpt });
        res.destroy();
      };
      res.on("data", (chunk: Buffer) => {
        if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) done();
      });
      res.on("end", done);
      // The status line has arrived: a body cut short does not change what the vendor said.
      res.on("error", done);
      res.on("aborted", done);
    });
    const timer = setTimeout(() => {
      const err = new Error(`no answer within ${req.timeoutMs} ms`);
      request.destroy(err);
      fail(err);
    }, req.timeoutMs);
    request.on("error", (err) => fail(err));
    request.end(req.body);
  });
}

/** The URL's host without IPv6 brackets. */
function bareHost(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}
