/**
 * ClamAV's digital signatures, verified as libclamav does (libclamav/dsig.c), in our own code:
 *
 * - Encoding: the signature is a number written in base 64, least significant digit first, in
 *   ClamAV's own alphabet (`a–z A–Z 0–9 + /`, lower case first — not RFC 4648's order).
 * - CVD header (`cli_versig`): textbook RSA over the MD5 of the container's tar.gz. The number
 *   raised to e mod n must equal the 16 MD5 bytes. Key: ClamAV's official 1024-bit CVD key.
 * - `.info` files and `.cdiff` updates (`cli_versig2`): RSA over SHA-256 with a PSS-style
 *   encoding of ClamAV's making (2048-bit block ending 0xbc, MGF1-SHA-256 mask, 32-byte salt,
 *   H = SHA-256(0^8 ‖ digest ‖ salt)). `.info` and `.cdiff` use two different 2048-bit keys.
 *
 * The keys are public numbers published in ClamAV's source; they are ClamAV's, so a database
 * that verifies here was signed by ClamAV's signing service. A vendor with its own keys passes
 * its own `ClamavKeys`.
 */
import { createHash } from "node:crypto";

export interface RsaPublicKey {
  /** What the key is, for messages ("ClamAV's official CVD key"). */
  name: string;
  n: bigint;
  e: bigint;
}

export interface ClamavKeys {
  /** Signs CVD headers (MD5 of the tar.gz). */
  cvd: RsaPublicKey;
  /** Signs `.info` files inside containers (SHA-256, PSS-style). */
  info: RsaPublicKey;
  /** Signs `.cdiff` incremental updates (SHA-256, PSS-style). */
  cdiff: RsaPublicKey;
}

/** ClamAV's keys, as libclamav 1.x carries them (dsig.c CLI_NSTR, readdb.c INFO_NSTR, cdiff.rs). */
export const CLAMAV_KEYS: ClamavKeys = {
  cvd: {
    name: "ClamAV's official CVD signing key",
    n: BigInt(
      "118640995551645342603070001658453189751527774412027743746599405743243142607464144767361060640655844749760788890022283424922762488917565551002467771109669598189410434699034532232228621591089508178591428456220796841621637175567590476666928698770143328137383952820383197532047771780196576957695822641224262693037",
    ),
    e: 100001027n,
  },
  info: {
    name: "ClamAV's .info signing key",
    n: BigInt(
      "11088894983048545473659556106627194923928941791795047620591658697413581043322715912172496806525381055880964520618400224333320534660299233983755341740679502866829909679955734391392668378361221524205396631090105151641270857277080310734320951653700508941717419168723942507890702904702707587451621691050754307850383399865346487203798464178537392211402786481359824461197231102895415093770394216666324484593935762408468516826633192140826667923494822045805347809932848454845886971706424360558667862775876072059437703365380209101697738577515476935085469455279994113145977994084618328482151013142393373316337519977244732747977",
    ),
    e: 100002049n,
  },
  cdiff: {
    name: "ClamAV's .cdiff signing key",
    n: BigInt(
      "14783905874077467090262228516557917570254599638376203532031989214105552847269687489771975792123442185817287694951949800908791527542017115600501303394778618535864845235700041590056318230102449612217458549016089313306591388590790796515819654102320725712300822356348724011232654837503241736177907784198700834440681124727060540035754699658105895050096576226753008596881698828185652424901921668758326578462003247906470982092298106789657211905488986281078346361469524484829559560886227198091995498440676639639830463593211386055065360288422394053998134458623712540683294034953818412458362198117811990006021989844180721010947",
    ),
    e: 100002053n,
  },
};

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/** A signature is at most a 2048-bit number: ~342 digits. Longer text is not a signature. */
const MAX_SIGNATURE_DIGITS = 400;

/** The number a signature string encodes, or undefined when it holds a foreign character. */
export function decodeSignatureNumber(sig: string): bigint | undefined {
  if (sig.length === 0 || sig.length > MAX_SIGNATURE_DIGITS) return undefined;
  let value = 0n;
  // Least significant digit first: read from the end.
  for (let i = sig.length - 1; i >= 0; i--) {
    const c = sig.charCodeAt(i);
    const d = c < 128 ? (DIGIT[c] as number) : -1;
    if (d < 0) return undefined;
    value = (value << 6n) | BigInt(d);
  }
  return value;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/** The signature raised to e mod n, as `length` big-endian bytes (the low bytes, as ClamAV). */
function recover(sig: string, key: RsaPublicKey, length: number): Uint8Array | undefined {
  const c = decodeSignatureNumber(sig);
  if (c === undefined) return undefined;
  let p = modPow(c, key.e, key.n);
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(p & 0xffn);
    p >>= 8n;
  }
  return out;
}

/** `cli_versig`: whether `sig` is the key's signature over this MD5 (32 hex digits). */
export function verifyMd5Signature(md5Hex: string, sig: string, key: RsaPublicKey): boolean {
  if (!/^[0-9a-f]{32}$/i.test(md5Hex)) return false;
  const plain = recover(sig, key, 16);
  return plain !== undefined && Buffer.from(plain).toString("hex") === md5Hex.toLowerCase();
}

const BLOCK = 256;
const HASH = 32;
const SALT = 32;
const MASKED = BLOCK - HASH - 1;

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `cli_versig2`: whether `sig` is the key's PSS-style signature over this SHA-256 digest. */
export function verifySha256Signature(digest: Uint8Array, sig: string, key: RsaPublicKey): boolean {
  if (digest.length !== HASH) return false;
  const decoded = recover(sig, key, BLOCK);
  if (decoded?.[BLOCK - 1] !== 0xbc) return false;
  const masked = decoded.subarray(0, MASKED);
  const h = decoded.subarray(MASKED, MASKED + HASH);
  // MGF1 with SHA-256 over H.
  const data = new Uint8Array(MASKED);
  for (let i = 0, at = 0; at < MASKED; i++) {
    const block = sha256(h, new Uint8Array([0, 0, (i >> 8) & 0xff, i & 0xff]));
    data.set(block.subarray(0, Math.min(HASH, MASKED - at)), at);
    at += HASH;
  }
  for (let i = 0; i < MASKED; i++) data[i] = (data[i] as number) ^ (masked[i] as number);
  data[0] = (data[0] as number) & 0x7f;
  const one = data.indexOf(0x01);
  if (one < 0 || MASKED - (one + 1) !== SALT) return false;
  const salt = data.subarray(one + 1);
  const expected = sha256(new Uint8Array(8), digest, salt);
  return Buffer.compare(expected, Buffer.from(h)) === 0;
}
