import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ed25519Backend, nobleEd25519, useEd25519 } from "./ed25519.js";
import { fromBase64, toBase64, utf8Encode } from "./encoding.js";
import { nodeEd25519, nodeSha256 } from "./node.js";
import {
  generateNoteKey,
  MAX_NOTE_SIZE,
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  NOTE_KEY_TYPE_ED25519,
  type NoteSigner,
  noteKeyHash,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from "./note.js";
import { nobleSha256, type Sha256Function, useSha256 } from "./sha256.js";

const vectorsDir = new URL("../../../shared/vectors/", import.meta.url);
const tlogGo = JSON.parse(readFileSync(new URL("tlog-go.json", vectorsDir), "utf8")) as {
  vkey: string;
  skey: string;
  signed_checkpoints: string[];
};
const tessera = {
  vkey: "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx",
  skey: "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg",
  checkpoint: (n: number) =>
    readFileSync(new URL(`tessera-log/checkpoint.${n}`, vectorsDir), "utf8"),
};

const code = (c: string) => expect.objectContaining({ code: c });
const textOf = (note: string) => note.slice(0, note.lastIndexOf("\n\n") + 1);

const backends: [string, Sha256Function, Ed25519Backend][] = [
  ["noble", nobleSha256, nobleEd25519],
  ["node:crypto", nodeSha256, nodeEd25519],
];

describe.each(backends)("signed notes with the %s backend", (_, sha, ed) => {
  beforeAll(() => {
    useSha256(sha);
    useEd25519(ed);
  });
  afterAll(() => {
    useSha256(nobleSha256);
    useEd25519(nobleEd25519);
  });

  it("derives the Go vectors' verifier key from their signer key", () => {
    const signer = parseSignerKey(tlogGo.skey);
    expect(signer.verifierKey).toBe(tlogGo.vkey);
    const verifier = parseVerifierKey(tlogGo.vkey);
    expect(signer.name).toBe(verifier.name);
    expect(signer.keyHash).toBe(verifier.keyHash);
    expect(verifier.keyType).toBe(NOTE_KEY_TYPE_ED25519);
    expect(verifier.text).toBe(tlogGo.vkey);
  });

  it("re-signs every checkpoint from Go's note package byte for byte", () => {
    const signer = parseSignerKey(tlogGo.skey);
    expect(tlogGo.signed_checkpoints.length).toBeGreaterThan(0);
    for (const note of tlogGo.signed_checkpoints) {
      expect(signNote(textOf(note), [signer])).toBe(note);
    }
  });

  it("opens every checkpoint from Go's note package with its verifier key", () => {
    const verifier = parseVerifierKey(tlogGo.vkey);
    for (const note of tlogGo.signed_checkpoints) {
      const opened = openNote(note, [verifier]);
      expect(opened.text).toBe(textOf(note));
      expect(opened.signatures).toHaveLength(1);
      expect(opened.signatures[0]).toMatchObject({
        name: verifier.name,
        keyHash: verifier.keyHash,
        verified: true,
      });
      // Bytes in, same result.
      expect(openNote(utf8Encode(note), [verifier]).text).toBe(opened.text);
    }
  });

  it("re-signs Tessera's checkpoint byte for byte and opens all of its checkpoints", () => {
    const signer = parseSignerKey(tessera.skey);
    expect(signer.verifierKey).toBe(tessera.vkey);
    const checkpoint15 = tessera.checkpoint(15);
    expect(signNote(textOf(checkpoint15), [signer])).toBe(checkpoint15);
    const verifier = parseVerifierKey(tessera.vkey);
    for (let n = 0; n <= 15; n++) {
      expect(openNote(tessera.checkpoint(n), [verifier]).text.split("\n")[1]).toBe(String(n));
    }
  });

  it("refuses a checkpoint whose text was changed by one byte", () => {
    const verifier = parseVerifierKey(tlogGo.vkey);
    const note = utf8Encode(tlogGo.signed_checkpoints[0] as string);
    for (const at of [0, note.indexOf(0x0a) + 1, note.indexOf(0x0a, note.indexOf(0x0a) + 1) + 3]) {
      const altered = note.slice();
      altered[at] = (altered[at] as number) ^ 0x01;
      expect(() => openNote(altered, [verifier]), `byte ${at}`).toThrow(code("E_NOTE_SIGNATURE"));
    }
  });

  it("refuses a checkpoint whose signature was changed by one byte", () => {
    const verifier = parseVerifierKey(tlogGo.vkey);
    const note = tlogGo.signed_checkpoints[0] as string;
    const { signatures } = parseNote(note);
    const sig = signatures[0]?.signature ?? new Uint8Array(0);
    for (const at of [0, 31, 63]) {
      const altered = sig.slice();
      altered[at] = (altered[at] as number) ^ 0x80;
      const line = new Uint8Array(4 + altered.length);
      new DataView(line.buffer).setUint32(0, verifier.keyHash);
      line.set(altered, 4);
      const forged = `${textOf(note)}\n— ${verifier.name} ${toBase64(line)}\n`;
      expect(() => openNote(forged, [verifier]), `byte ${at}`).toThrow(code("E_NOTE_SIGNATURE"));
    }
  });

  it("signs with several keys and opens with any one of them", () => {
    const a = parseSignerKey(generateNoteKey("example.com/a").signerKey);
    const b = parseSignerKey(generateNoteKey("example.com/b").signerKey);
    const note = signNote("hello\n\nwith a blank line\n", [a, b]);
    expect(note.split("\n— ")).toHaveLength(3);
    const opened = openNote(note, [parseVerifierKey(b.verifierKey)]);
    expect(opened.text).toBe("hello\n\nwith a blank line\n");
    expect(opened.signatures.map((s) => [s.name, s.verified])).toEqual([
      ["example.com/a", false],
      ["example.com/b", true],
    ]);
  });
});

describe("opening notes", () => {
  const signer = parseSignerKey(generateNoteKey("example.com/log").signerKey);
  const verifier = parseVerifierKey(signer.verifierKey);
  const note = signNote("example.com/log\n1\nAAAA\n", [signer]);

  it("refuses a note signed only by unknown keys", () => {
    const other = parseVerifierKey(generateNoteKey("example.com/other").verifierKey);
    expect(() => openNote(note, [other])).toThrow(code("E_NOTE_UNVERIFIED"));
    expect(() => openNote(note, [])).toThrow(code("E_NOTE_UNVERIFIED"));
  });

  it("ignores a signature that shares only the name or only the key hash of a known key", () => {
    const sameName = { ...verifier, keyHash: (verifier.keyHash + 1) >>> 0 };
    const sameHash = { ...verifier, name: "example.com/impostor" };
    expect(() => openNote(note, [sameName, sameHash])).toThrow(code("E_NOTE_UNVERIFIED"));
  });

  it("requires every signature by a known key to verify, not just the first", () => {
    const bad = new Uint8Array(68);
    new DataView(bad.buffer).setUint32(0, verifier.keyHash);
    const twice = `${note}— ${verifier.name} ${toBase64(bad)}\n`;
    expect(() => openNote(twice, [verifier])).toThrow(code("E_NOTE_SIGNATURE"));
  });

  it("keeps one copy of a repeated signature line", () => {
    const line = note.slice(note.lastIndexOf("— "));
    expect(openNote(note + line + line, [verifier]).signatures).toHaveLength(1);
  });

  it("refuses malformed notes", () => {
    const sigLine = note.slice(note.lastIndexOf("— "));
    const text = textOf(note);
    const cases: [string, string | Uint8Array][] = [
      ["no blank line", note.replace("\n\n", "\n")],
      ["no signatures", `${text}\n`],
      ["no final newline", note.slice(0, -1)],
      ["a line that is not a signature", `${note}not a signature\n`],
      ["a hyphen instead of the em dash", note.replace("— ", "- ")],
      ["a signature without base64", `${text}\n— example.com/log\n`],
      ["a signature too short for a key hash", `${text}\n— example.com/log AAAAAA==\n`],
      // 68 bytes end in one "=": the character before it carries two unused bits, here set.
      ["a signature in non-canonical base64", note.replace(/[A-Za-z0-9+/]=\n$/, "B=\n")],
      ["a signature name with a plus", `${text}\n— a+b ${sigLine.split(" ")[2]}`],
      ["a carriage return", note.replace("1\n", "1\r\n")],
      ["a NUL byte", `a\u0000${note}`],
      ["invalid UTF-8", Uint8Array.from([0xff, ...utf8Encode(note)])],
      ["a lone surrogate", `\ud800${note}`],
      ["more than 100 signatures", `${text}\n${sigLine.repeat(101)}`],
      ["more than 1 MiB", "x".repeat(MAX_NOTE_SIZE) + note],
    ];
    for (const [what, bad] of cases) {
      expect(() => openNote(bad, [verifier]), what).toThrow(code("E_NOTE_MALFORMED"));
    }
  });

  it("accepts 100 signatures", () => {
    const unknown = (i: number) => `— example.com/other${i} ${toBase64(new Uint8Array(68))}\n`;
    const many = note + Array.from({ length: 99 }, (_, i) => unknown(i)).join("");
    expect(openNote(many, [verifier]).signatures).toHaveLength(100);
  });
});

describe("signing notes", () => {
  const signer = parseSignerKey(generateNoteKey("example.com/log").signerKey);

  it("refuses text the spec does not allow", () => {
    for (const [what, text] of [
      ["empty text", ""],
      ["no final newline", "a"],
      ["a tab", "a\tb\n"],
      ["a carriage return", "a\r\n"],
      ["a lone surrogate", "\udc00\n"],
    ] as const) {
      expect(() => signNote(text, [signer]), what).toThrow(code("E_NOTE_MALFORMED"));
    }
    expect(() => signNote("a\n", [])).toThrow(code("E_NOTE_MALFORMED"));
  });

  it("refuses a signer whose name cannot appear in a note", () => {
    for (const name of ["", "a b", "a+b", "a\u0001b"]) {
      const bad: NoteSigner = { ...signer, name };
      expect(() => signNote("a\n", [bad]), JSON.stringify(name)).toThrow(code("E_KEY_MALFORMED"));
    }
  });

  it("writes the em dash line format with the key hash before the signature", () => {
    const note = signNote("a\n", [signer]);
    const [text, line] = note.split("\n\n") as [string, string];
    expect(text).toBe("a");
    expect(line.startsWith(`— ${signer.name} `)).toBe(true);
    const raw = fromBase64(line.slice(`— ${signer.name} `.length, -1));
    expect(raw).toHaveLength(68);
    expect(new DataView(raw.buffer).getUint32(0)).toBe(signer.keyHash);
  });
});

describe("note keys", () => {
  it("computes the key hash as SHA-256(name || \\n || type || key)[:4]", () => {
    const v = parseVerifierKey(tessera.vkey);
    expect(noteKeyHash(v.name, Uint8Array.from([v.keyType, ...v.publicKey]))).toBe(0x33d7b496);
  });

  it("generates Ed25519 key pairs that sign and verify", () => {
    const { signerKey, verifierKey } = generateNoteKey("example.com/vendor");
    expect(signerKey).toMatch(
      /^PRIVATE\+KEY\+example\.com\/vendor\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/,
    );
    expect(parseSignerKey(signerKey).verifierKey).toBe(verifierKey);
    const note = signNote("x\n", [parseSignerKey(signerKey)]);
    expect(openNote(note, [parseVerifierKey(verifierKey)]).signatures[0]?.verified).toBe(true);
  });

  it("parses cosignature/v1 witness keys and leaves their verification to a plug-in", () => {
    const { signerKey, verifierKey } = generateNoteKey(
      "example.com/witness",
      NOTE_KEY_TYPE_COSIGNATURE_V1,
    );
    const witness = parseVerifierKey(verifierKey);
    expect(witness.keyType).toBe(NOTE_KEY_TYPE_COSIGNATURE_V1);
    expect(witness.publicKey).toHaveLength(32);
    expect(() => witness.verify(new Uint8Array(0), new Uint8Array(72))).toThrow(
      code("E_KEY_UNSUPPORTED"),
    );
    const seen: number[] = [];
    const plugged = parseVerifierKey(verifierKey, {
      verify: (publicKey, _msg, sig) => {
        seen.push(publicKey.length, sig.length);
        return true;
      },
    });
    expect(plugged.verify(new Uint8Array(0), new Uint8Array(72))).toBe(true);
    expect(seen).toEqual([32, 72]);
    // Same seed and name, different type: a different key hash, so no confusion with Ed25519.
    expect(() => parseSignerKey(signerKey)).toThrow(code("E_KEY_UNSUPPORTED"));
  });

  it("refuses malformed verifier keys, saying what is wrong", () => {
    const good = tessera.vkey;
    const cases: [string, string, RegExp][] = [
      ["no plus", "example.com", /not a verifier key/],
      ["empty name", good.replace("example.com/log/testdata", ""), /name/],
      ["space in name", good.replace("example.com/log", "example.com log"), /name/],
      ["short hash", good.replace("33d7b496", "33d7b49"), /hex key hash/],
      ["wrong hash", good.replace("33d7b496", "33d7b497"), /does not match/],
      ["wrong name", good.replace("testdata", "testdatb"), /does not match/],
      ["bad base64", `${good}!`, /base64/],
      ["trailing newline", `${good}\n`, /base64/],
      ["short key", "a+00000000+AQID", /key bytes/],
    ];
    for (const [what, vkey, message] of cases) {
      expect(() => parseVerifierKey(vkey), what).toThrow(code("E_KEY_MALFORMED"));
      expect(() => parseVerifierKey(vkey), what).toThrow(message);
    }
    expect(() => parseVerifierKey("a+00000000+AgID")).toThrow(code("E_KEY_UNSUPPORTED"));
  });

  it("refuses malformed signer keys without echoing any part of them", () => {
    const good = tessera.skey;
    const secret = good.slice(good.lastIndexOf("+") + 1);
    const cases = [
      good.replace("PRIVATE+KEY+", ""),
      good.replace("PRIVATE+KEY+", "PRIVATE+KEYS+"),
      good.replace("33d7b496", "33d7b497"),
      good.replace("testdata", "test data"),
      `${good}==`,
      good.slice(0, -4),
      `PRIVATE+KEY+${secret}`,
    ];
    for (const skey of cases) {
      let err: unknown;
      try {
        parseSignerKey(skey);
      } catch (e) {
        err = e;
      }
      expect(err, skey).toMatchObject({ code: "E_KEY_MALFORMED" });
      const message = (err as Error).message;
      for (let i = 0; i + 6 <= secret.length; i++)
        expect(message).not.toContain(secret.slice(i, i + 6));
    }
  });
});
