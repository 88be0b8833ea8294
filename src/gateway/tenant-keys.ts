/**
 * Each tenant has one secret (a file of 32 random bytes, hex) from which two keys are derived with
 * HKDF: the audit key, whose HMACs commit to each record in the public audit log (Decision 18: a
 * plain digest of a short record could be guessed), and the pseudonym key, which makes
 * pseudonymised values stable per tenant yet unlinkable across tenants. The tenant holds the same
 * file and can recompute both.
 */
import { hash, hkdfSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CrosscheckError } from "../errors/index.js";

export interface TenantKeys {
  /** HMAC-SHA256 of the bytes, hex: the record's commitment in the audit log. */
  commit(bytes: string | Uint8Array): string;
  /** A stable, keyed stand-in for a value: 16 hex digits of HMAC-SHA256. */
  pseudonym(value: string): string;
}

const PSEUDONYM_CACHE = 16_384;

export function tenantKeys(secret: Uint8Array): TenantKeys {
  if (secret.length < 32) {
    throw new CrosscheckError("E_TENANT_KEY", "A tenant secret must hold at least 32 bytes.");
  }
  // 64-byte keys of 7-bit bytes (448 bits): their padded HMAC blocks are ASCII, which lets
  // `hmacSha256` hash the inner block and the message as one string (see there).
  const derive = (info: string) =>
    Buffer.from(hkdfSync("sha256", secret, new Uint8Array(0), info, 64)).map((b) => b & 0x7f);
  const commit = hmacSha256(derive("crosscheck gateway audit v1"));
  const pseudonymHmac = hmacSha256(derive("crosscheck gateway pseudonym v1"));
  // Telemetry repeats the same hosts, accounts and addresses: remember recent pseudonyms.
  const recent = new Map<string, string>();
  return {
    commit,
    pseudonym: (value) => {
      let pseudonym = recent.get(value);
      if (pseudonym === undefined) {
        pseudonym = pseudonymHmac(value).slice(0, 16);
        if (recent.size >= PSEUDONYM_CACHE) recent.clear();
        recent.set(value, pseudonym);
      }
      return pseudonym;
    },
  };
}

/**
 * HMAC-SHA256 (RFC 2104) with the key's padded blocks prepared once. `createHmac` builds a keyed
 * context per call, which cost more than the rest of a record's handling. When every key byte is
 * below 0x80 the inner block is an ASCII string, so the inner hash is one native call over
 * `block + message` (UTF-8 of ASCII is the same bytes); the outer hash is over a reused buffer.
 * The result is HMAC-SHA256 exactly (tested against `createHmac`).
 */
export function hmacSha256(key: Uint8Array): (message: string | Uint8Array) => string {
  if (key.length > BLOCK)
    throw new CrosscheckError("E_TENANT_KEY", "An HMAC key here is at most 64 bytes.");
  const innerBlock = Buffer.alloc(BLOCK);
  const outer = Buffer.alloc(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    const k = key[i] ?? 0;
    innerBlock[i] = k ^ 0x36;
    outer[i] = k ^ 0x5c;
  }
  const ascii = key.every((b) => b < 0x80);
  const innerText = innerBlock.toString("latin1");
  const innerOf = (message: string | Uint8Array): string =>
    ascii && typeof message === "string"
      ? hash("sha256", innerText + message, "hex")
      : hash(
          "sha256",
          Buffer.concat([
            innerBlock,
            typeof message === "string" ? Buffer.from(message, "utf8") : message,
          ]),
          "hex",
        );
  return (message) => {
    outer.write(innerOf(message), BLOCK, "hex");
    return hash("sha256", outer, "hex");
  };
}

const BLOCK = 64;

/**
 * Reads `DIR/<tenant>.key`, creating it (mode 0600) when absent: the gateway owns its data
 * folder, and a new tenant's key is made there and announced through `created`.
 */
export function loadTenantSecret(
  dir: string,
  tenant: string,
  created?: (path: string) => void,
): Uint8Array {
  const path = join(dir, `${tenant}.key`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    created?.(path);
  }
  const text = readFileSync(path, "utf8").split("\n")[0]?.trim() ?? "";
  if (!/^[0-9a-f]{64,}$/.test(text)) {
    throw new CrosscheckError(
      "E_TENANT_KEY",
      `${path} must hold the tenant's secret as 64 or more hex digits on its first line.`,
    );
  }
  return Buffer.from(text, "hex");
}
