import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCrosscheckError } from "../../errors/index.js";
import { receiveSample } from "./index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "crosscheck-receive-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isCrosscheckError(err)) return err.code;
    throw err;
  }
  throw new Error("expected an error");
}

describe("receiveSample", () => {
  it("streams the sample to a private file and hashes it on the way", async () => {
    const chunks = [Buffer.from("MZ"), Buffer.alloc(100_000, 7), Buffer.from("end")];
    const sample = await receiveSample(Readable.from(chunks), { dir, maxBytes: 1_000_000 });
    const whole = Buffer.concat(chunks);
    expect(sample.size).toBe(whole.length);
    expect(sample.sha256).toBe(createHash("sha256").update(whole).digest("hex"));
    expect((await readFile(sample.path)).equals(whole)).toBe(true);
    expect((await stat(sample.path)).mode & 0o777).toBe(0o600);
    expect(sample.path.startsWith(dir)).toBe(true);
  });

  it("accepts exactly maxBytes and refuses one byte more, leaving no partial file", async () => {
    const ok = await receiveSample(Readable.from([Buffer.alloc(10)]), { dir, maxBytes: 10 });
    expect(ok.size).toBe(10);
    await rm(ok.path);
    const stream = Readable.from([Buffer.alloc(6), Buffer.alloc(5), Buffer.alloc(1000)]);
    expect(await codeOf(receiveSample(stream, { dir, maxBytes: 10 }))).toBe("E_SAMPLE_TOO_LARGE");
    expect(await readdir(dir)).toEqual([]);
    // The request is left open so the HTTP layer can still answer 413 on it.
    expect(stream.destroyed).toBe(false);
  });

  it("refuses an empty sample", async () => {
    expect(await codeOf(receiveSample(Readable.from([]), { dir, maxBytes: 10 }))).toBe(
      "E_SAMPLE_EMPTY",
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it("removes the partial file when the upload breaks off", async () => {
    const stream = new Readable({ read() {} });
    const received = receiveSample(stream, { dir, maxBytes: 1000 });
    stream.push(Buffer.from("partial"));
    setTimeout(() => stream.destroy(new Error("aborted")), 10);
    expect(await codeOf(received)).toBe("E_SAMPLE_INCOMPLETE");
    expect(await readdir(dir)).toEqual([]);
  });

  it("takes string chunks as UTF-8", async () => {
    const sample = await receiveSample(Readable.from(["héllo"], { objectMode: true }), {
      dir,
      maxBytes: 100,
    });
    expect(sample.size).toBe(6);
  });
});
