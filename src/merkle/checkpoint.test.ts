import { describe, expect, it } from "vitest";
import { errorCode } from "../../test/support/error-code.js";
import { formatCheckpoint, parseCheckpoint } from "./checkpoint.js";
import { EMPTY_ROOT } from "./rfc6962.js";

const TEXT = "example.com/log\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";

describe("checkpoints", () => {
  it("parses and formats the C2SP note text, extensions included", () => {
    expect(parseCheckpoint(TEXT)).toEqual({
      origin: "example.com/log",
      size: 42,
      root: EMPTY_ROOT,
      extensions: [],
    });
    const withExt = `${TEXT}ext one\n`;
    expect(formatCheckpoint(parseCheckpoint(withExt))).toBe(withExt);
    expect(formatCheckpoint({ origin: "o", size: 0, root: EMPTY_ROOT, extensions: [] })).toBe(
      "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
    );
  });

  it("refuses anything but the one canonical spelling", () => {
    const root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    for (const bad of [
      TEXT.slice(0, -1),
      `example.com/log\n042\n${root}\n`,
      `example.com/log\n-1\n${root}\n`,
      `example.com/log\n1e3\n${root}\n`,
      `example.com/log\n99999999999999999\n${root}\n`,
      `\n42\n${root}\n`,
      "example.com/log\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",
      "example.com/log\n42\nAAAA\n",
      `example.com/log\n42\n${root}\n\n— example.com/log abc\n`,
      "example.com/log\n42\n",
      `example.com/log\r\n42\n${root}\n`.replace("\r\n42", "\n42\r"),
    ]) {
      expect(
        errorCode(() => parseCheckpoint(bad)),
        JSON.stringify(bad),
      ).toBe("E_CHECKPOINT_MALFORMED");
    }
    expect(
      errorCode(() => formatCheckpoint({ origin: "", size: 1, root: EMPTY_ROOT, extensions: [] })),
    ).toBe("E_CHECKPOINT_MALFORMED");
    expect(
      errorCode(() =>
        formatCheckpoint({ origin: "o", size: 1, root: new Uint8Array(31), extensions: [] }),
      ),
    ).toBe("E_CHECKPOINT_MALFORMED");
  });
});
