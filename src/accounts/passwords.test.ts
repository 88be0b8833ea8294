import { describe, expect, it } from "vitest";
import { isCrosscheckError } from "../errors/index.js";
import { hashPassword, verifyPassword } from "./passwords.js";

describe("passwords", () => {
  it("hashes with scrypt, a fresh salt and the parameters stored, and verifies", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse batterY", a)).toBe(false);
    expect(await verifyPassword("correct horse battery", "bcrypt$whatever")).toBe(false);
  });

  it("refuses passwords shorter than 12 characters", async () => {
    await expect(hashPassword("short pass1")).rejects.toSatisfy((e) =>
      isCrosscheckError(e, "E_PASSWORD_WEAK"),
    );
  });
});
