import { describe, expect, it } from "vitest";
import {
  bsnValid,
  cardNumberValid,
  ibanValid,
  luhnValid,
  ninoValid,
  spanishIdValid,
  ssnValid,
} from "./checksums.js";

describe("Luhn and card numbers", () => {
  it("accepts well-known test card numbers", () => {
    for (const n of [
      "4111111111111111",
      "5555555555554444",
      "378282246310005",
      "6011111111111117",
    ]) {
      expect(luhnValid(n)).toBe(true);
      expect(cardNumberValid(n)).toBe(true);
    }
  });
  it("refuses a wrong check digit, an unknown issuer prefix and a millisecond timestamp", () => {
    expect(cardNumberValid("4111111111111112")).toBe(false);
    expect(cardNumberValid("9111111111111111")).toBe(false);
    expect(cardNumberValid("1700000000000")).toBe(false);
    expect(cardNumberValid("41111")).toBe(false);
  });
});

describe("IBAN", () => {
  it("accepts valid IBANs of several countries, in either case", () => {
    for (const iban of [
      "GB82WEST12345698765432",
      "DE89370400440532013000",
      "NL91ABNA0417164300",
      "gb42nawi04454264788619",
    ]) {
      expect(ibanValid(iban)).toBe(true);
    }
  });
  it("refuses a wrong check, a wrong length and an unknown country", () => {
    expect(ibanValid("GB82WEST12345698765433")).toBe(false);
    expect(ibanValid("DE8937040044053201300")).toBe(false);
    expect(ibanValid("QQ82WEST12345698765432")).toBe(false);
  });
});

describe("US SSN", () => {
  it("accepts an issuable number", () => {
    expect(ssnValid("460", "89", "9847")).toBe(true);
  });
  it("refuses area 000, 666 and 9xx, group 00, serial 0000 and advertised numbers", () => {
    expect(ssnValid("000", "12", "3456")).toBe(false);
    expect(ssnValid("666", "12", "3456")).toBe(false);
    expect(ssnValid("912", "12", "3456")).toBe(false);
    expect(ssnValid("123", "00", "3456")).toBe(false);
    expect(ssnValid("123", "45", "0000")).toBe(false);
    expect(ssnValid("078", "05", "1120")).toBe(false);
  });
});

describe("national IDs", () => {
  it("UK NINO: prefix and suffix rules", () => {
    expect(ninoValid("AB123456C")).toBe(true);
    expect(ninoValid("GB123456C")).toBe(false);
    expect(ninoValid("DA123456C")).toBe(false);
    expect(ninoValid("AB123456E")).toBe(false);
  });
  it("Dutch BSN: the 11-proof", () => {
    expect(bsnValid("111222333")).toBe(true);
    expect(bsnValid("123456789")).toBe(false);
  });
  it("Spanish DNI and NIE: the check letter", () => {
    expect(spanishIdValid("12345678Z")).toBe(true);
    expect(spanishIdValid("12345678A")).toBe(false);
    expect(spanishIdValid("X1234567L")).toBe(true);
  });
});
