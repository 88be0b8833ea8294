import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readKeyFile, readSignerKeyFile, writeKeyFile } from "./node.js";
import { generateNoteKey } from "./note.js";

const dir = mkdtempSync(join(tmpdir(), "crosscheck-keyfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
const freshPath = () => join(dir, `key-${++counter}`);
const code = (c: string) => expect.objectContaining({ code: c });
const { signerKey, verifierKey } = generateNoteKey("example.com/log");
// PRIVATE+KEY+<name>+<hash>+<key>: the base64 key may itself contain "+".
const secret = signerKey.split("+").slice(4).join("+");
if (secret.length < 40)
  throw new Error("the test could not find the key material in the signer key");

describe("plain key files", () => {
  it("hold the signer key and a newline, readable only by the owner", () => {
    const path = freshPath();
    writeKeyFile(path, signerKey);
    expect(readFileSync(path, "utf8")).toBe(`${signerKey}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readKeyFile(path)).toBe(signerKey);
    expect(readSignerKeyFile(path).verifierKey).toBe(verifierKey);
  });

  it("never overwrite an existing file", () => {
    const path = freshPath();
    writeFileSync(path, "precious");
    expect(() => writeKeyFile(path, signerKey)).toThrow(code("E_KEY_EXISTS"));
    expect(readFileSync(path, "utf8")).toBe("precious");
  });

  it("are written only for valid signer keys", () => {
    const path = freshPath();
    expect(() => writeKeyFile(path, verifierKey)).toThrow(code("E_KEY_MALFORMED"));
    expect(() => statSync(path)).toThrow();
  });
});

describe("encrypted key files", () => {
  it("round-trip with the passphrase and do not contain the key", () => {
    const path = freshPath();
    writeKeyFile(path, signerKey, { passphrase: "correct horse" });
    const raw = readFileSync(path, "utf8");
    expect(raw).not.toContain(secret);
    expect(JSON.parse(raw)).toMatchObject({
      format: "crosscheck-encrypted-key/v1",
      kdf: { name: "scrypt", N: 32768, r: 8, p: 1 },
      cipher: "aes-256-gcm",
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readKeyFile(path, { passphrase: "correct horse" })).toBe(signerKey);
  });

  it("ask for the passphrase when none or a wrong one is given", () => {
    const path = freshPath();
    writeKeyFile(path, signerKey, { passphrase: "correct horse" });
    expect(() => readKeyFile(path)).toThrow(code("E_KEY_PASSPHRASE"));
    expect(() => readKeyFile(path, { passphrase: "battery staple" })).toThrow(
      code("E_KEY_PASSPHRASE"),
    );
  });

  it("detect tampering with any field as a failed decryption", () => {
    const path = freshPath();
    writeKeyFile(path, signerKey, { passphrase: "pw" });
    const doc = JSON.parse(readFileSync(path, "utf8"));
    const tampered = freshPath();
    writeFileSync(tampered, JSON.stringify({ ...doc, kdf: { ...doc.kdf, N: 16384 } }));
    expect(() => readKeyFile(tampered, { passphrase: "pw" })).toThrow(code("E_KEY_PASSPHRASE"));
  });

  it("refuse scrypt parameters that would exhaust memory", () => {
    const path = freshPath();
    writeKeyFile(path, signerKey, { passphrase: "pw" });
    const doc = JSON.parse(readFileSync(path, "utf8"));
    const greedy = freshPath();
    writeFileSync(greedy, JSON.stringify({ ...doc, kdf: { ...doc.kdf, N: 2 ** 30 } }));
    expect(() => readKeyFile(greedy, { passphrase: "pw" })).toThrow(code("E_KEY_MALFORMED"));
  });
});

describe("reading key files", () => {
  it("names the missing file and suggests crosscheck keygen", () => {
    const path = join(dir, "nowhere", "log.key");
    expect(() => readKeyFile(path)).toThrow(code("E_KEY_MISSING"));
    expect(() => readKeyFile(path)).toThrow(/nowhere\/log\.key.*crosscheck keygen/);
  });

  it("reports a path it cannot read", () => {
    const path = freshPath();
    mkdirSync(path);
    expect(() => readKeyFile(path)).toThrow(code("E_KEY_UNREADABLE"));
  });

  it("refuses content that is not a signer key, without echoing it", () => {
    const path = freshPath();
    writeFileSync(path, `${signerKey.replace("example.com/log", "example.com/other")}\n`);
    expect(() => readKeyFile(path)).toThrow(code("E_KEY_MALFORMED"));
    try {
      readKeyFile(path);
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
    const json = freshPath();
    writeFileSync(json, '{"format":"something-else"}');
    expect(() => readKeyFile(json)).toThrow(code("E_KEY_MALFORMED"));
  });
});
