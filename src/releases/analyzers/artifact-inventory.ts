/**
 * The simplest real analyzer: for every artifact, its size, its file type by magic number, and
 * its digest checked again from the stored bytes. A digest that no longer matches is critical.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Analyzer, Finding } from "../findings.js";

const MAGIC: [string, number[]][] = [
  ["ClamAV CVD/CLD", [...Buffer.from("ClamAV-VDB:")]],
  ["gzip", [0x1f, 0x8b]],
  ["zip", [0x50, 0x4b, 0x03, 0x04]],
  ["ELF executable", [0x7f, 0x45, 0x4c, 0x46]],
  ["PE executable", [0x4d, 0x5a]],
  ["PDF", [...Buffer.from("%PDF-")]],
  ["JSON", [0x7b]],
];

export const artifactInventory: Analyzer = {
  name: "artifact-inventory",
  version: "0.1.0",
  channels: ["product", "sigdb", "rules", "dictionary"],
  async analyze(_release, artifacts) {
    const findings: Finding[] = [];
    for (const artifact of artifacts) {
      const hash = createHash("sha256");
      let size = 0;
      let head = Buffer.alloc(0);
      for await (const chunk of createReadStream(artifact.path)) {
        const bytes = chunk as Buffer;
        if (head.length < 16) head = Buffer.concat([head, bytes.subarray(0, 16 - head.length)]);
        hash.update(bytes);
        size += bytes.length;
      }
      const digest = hash.digest("hex");
      const type = MAGIC.find(([, magic]) => magic.every((b, i) => head[i] === b))?.[0];
      const id = (n: number) => `artifact-inventory/${artifact.name}/${n}`;
      findings.push({
        id: id(1),
        severity: "info",
        analyzer: "artifact-inventory",
        location: { artifact: artifact.name },
        message: `${artifact.name}: ${size} bytes, ${type ?? (isText(head) ? "text" : "unknown binary")}.`,
        evidence: { size, type: type ?? null, magic: head.toString("hex") },
      });
      if (digest !== artifact.sha256) {
        findings.push({
          id: id(2),
          severity: "critical",
          analyzer: "artifact-inventory",
          location: { artifact: artifact.name },
          message: `${artifact.name} no longer hashes to the digest the release names.`,
          evidence: { expected: artifact.sha256, actual: digest },
        });
      }
    }
    return findings;
  },
};

function isText(head: Buffer): boolean {
  return head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128);
}
