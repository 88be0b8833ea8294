import { describe, expect, it } from "vitest";
import {
  type Ed25519Backend,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  generateEd25519Seed,
  nobleEd25519,
  useEd25519,
} from "./ed25519.js";
import { fromHex, toHex, utf8Encode } from "./encoding.js";
import { nodeEd25519 } from "./node.js";

// RFC 8032 §7.1, tests 1 and 3.
const RFC8032 = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    msg: "af82",
    sig: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

const backends: [string, Ed25519Backend][] = [
  ["noble", nobleEd25519],
  ["node:crypto", nodeEd25519],
];

describe.each(backends)("Ed25519 with the %s backend", (_, backend) => {
  const withBackend = (run: () => void) => {
    useEd25519(backend);
    try {
      run();
    } finally {
      useEd25519(nobleEd25519);
    }
  };

  it("reproduces the RFC 8032 test vectors", () =>
    withBackend(() => {
      for (const v of RFC8032) {
        const seed = fromHex(v.seed);
        const msg = fromHex(v.msg);
        expect(toHex(ed25519PublicKey(seed))).toBe(v.publicKey);
        expect(toHex(ed25519Sign(seed, msg))).toBe(v.sig);
        expect(ed25519Verify(fromHex(v.publicKey), msg, fromHex(v.sig))).toBe(true);
      }
    }));

  it("rejects a signature over a different message, or by a different key", () =>
    withBackend(() => {
      const seed = generateEd25519Seed();
      const msg = utf8Encode("checkpoint\n");
      const sig = ed25519Sign(seed, msg);
      expect(ed25519Verify(ed25519PublicKey(seed), msg, sig)).toBe(true);
      expect(ed25519Verify(ed25519PublicKey(seed), utf8Encode("checkpoint!\n"), sig)).toBe(false);
      expect(ed25519Verify(ed25519PublicKey(generateEd25519Seed()), msg, sig)).toBe(false);
    }));

  it("answers false, never throws, for malformed keys and signatures", () =>
    withBackend(() => {
      const seed = fromHex(RFC8032[0]?.seed ?? "");
      const publicKey = ed25519PublicKey(seed);
      const msg = new Uint8Array(0);
      const sig = ed25519Sign(seed, msg);
      const notAPoint = new Uint8Array(32).fill(0xff);
      // s ≥ L: the non-canonical twin of a valid signature (s + L), which strict verifiers refuse.
      const malleated = sig.slice();
      addOrderToScalar(malleated);
      for (const [pk, s] of [
        [publicKey.subarray(1), sig],
        [publicKey, sig.subarray(1)],
        [new Uint8Array(0), new Uint8Array(0)],
        [notAPoint, sig],
        [publicKey, new Uint8Array(64)],
        [publicKey, malleated],
      ] as const) {
        expect(ed25519Verify(pk, msg, s)).toBe(false);
      }
      expect(ed25519Verify("nope" as unknown as Uint8Array, msg, sig)).toBe(false);
    }));

  it("refuses a seed of the wrong length without showing it", () =>
    withBackend(() => {
      expect(() => ed25519Sign(new Uint8Array(31).fill(7), new Uint8Array(0))).toThrow(
        expect.objectContaining({ code: "E_KEY_MALFORMED" }),
      );
    }));
});

describe("Ed25519 backends", () => {
  it("give identical keys and signatures for the same seed and message", () => {
    for (let i = 0; i < 50; i++) {
      const seed = generateEd25519Seed();
      const msg = globalThis.crypto.getRandomValues(new Uint8Array(i * 7));
      const publicKey = nobleEd25519.publicKey(seed);
      const sig = nobleEd25519.sign(seed, msg);
      expect(toHex(nodeEd25519.publicKey(seed))).toBe(toHex(publicKey));
      expect(toHex(nodeEd25519.sign(seed, msg))).toBe(toHex(sig));
      expect(nodeEd25519.verify(publicKey, msg, sig)).toBe(true);
    }
  });
});

/** Adds the group order L to the little-endian scalar S in sig[32..64]. */
function addOrderToScalar(sig: Uint8Array): void {
  const order = fromHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const sum = (sig[32 + i] as number) + (order[i] as number) + carry;
    sig[32 + i] = sum & 255;
    carry = sum >> 8;
  }
}
