import { describe, expect, it } from "vitest";
import { type Entity, scanText } from "./index.js";

/** The texts of what `scanText` finds of one entity, plain text only. */
function found(entity: Entity, text: string): string[] {
  return scanText(text, { entities: new Set([entity]), decode: false }).map((f) =>
    text.slice(f.start, f.end),
  );
}

describe("EMAIL", () => {
  it("finds addresses and UPNs", () => {
    expect(found("EMAIL", "mail alice.smith@example.com, or UtaKortig@jourrapide.com.")).toEqual([
      "alice.smith@example.com",
      "UtaKortig@jourrapide.com",
    ]);
    expect(found("EMAIL", "logon alice@corp.local ok")).toEqual(["alice@corp.local"]);
  });
  it("ignores @ without a domain", () => {
    expect(found("EMAIL", "@channel user@localhost @@@ a@b")).toEqual([]);
  });
});

describe("PHONE", () => {
  it("finds international, US and European formats", () => {
    expect(found("PHONE", "call +1-984-182-0190 or (212) 555-0199")).toEqual([
      "+1-984-182-0190",
      "(212) 555-0199",
    ]);
    expect(found("PHONE", "tel 030 1234 5678 / +44 20 7946 0958")).toEqual([
      "030 1234 5678",
      "+44 20 7946 0958",
    ]);
  });
  it("ignores dates, versions, IPs, GUIDs and plain numbers", () => {
    expect(
      found(
        "PHONE",
        "2026-11-23 10.0.19041.1 192.168.1.20 size 1048576 3f2a1b4c-1234-4abc-9def-0123456789ab",
      ),
    ).toEqual([]);
  });
});

describe("IPV4 and IPV6", () => {
  it("finds addresses", () => {
    expect(found("IPV4", "from 192.168.1.20:443 to 8.8.8.8.")).toEqual(["192.168.1.20", "8.8.8.8"]);
    expect(
      found("IPV6", "fe80::1ff:fe23:4567:890a and 2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    ).toEqual(["fe80::1ff:fe23:4567:890a", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"]);
  });
  it("ignores versions, out-of-range octets, times and C++ scopes", () => {
    expect(found("IPV4", "version 10.0.19041.1 and 300.1.2.3 and v1.2.3.4")).toEqual([]);
    expect(found("IPV6", "at 10:57:58.123Z std::vector a::b 12:30")).toEqual([]);
  });
});

describe("MAC", () => {
  it("finds colon, dash and dotted forms", () => {
    expect(found("MAC", "nic 00:1a:2b:3c:4d:5e 00-1A-2B-3C-4D-5F 001a.2b3c.4d60")).toEqual([
      "00:1a:2b:3c:4d:5e",
      "00-1A-2B-3C-4D-5F",
      "001a.2b3c.4d60",
    ]);
  });
  it("ignores broadcast, GUIDs and IPv6", () => {
    expect(found("MAC", "ff:ff:ff:ff:ff:ff 3f2a1b4c-1234-4abc-9def-0123456789ab fe80::1")).toEqual(
      [],
    );
  });
});

describe("CREDIT_CARD", () => {
  it("finds Luhn-valid numbers, grouped or not", () => {
    expect(found("CREDIT_CARD", "card 4111 1111 1111 1111 and 378282246310005")).toEqual([
      "4111 1111 1111 1111",
      "378282246310005",
    ]);
  });
  it("ignores a failed Luhn check and timestamps", () => {
    expect(found("CREDIT_CARD", "card 4111 1111 1111 1112 at 1700000000000")).toEqual([]);
  });
});

describe("IBAN", () => {
  it("finds compact and spaced IBANs", () => {
    expect(found("IBAN", "to GB82 WEST 1234 5698 7654 32 or DE89370400440532013000")).toEqual([
      "GB82 WEST 1234 5698 7654 32",
      "DE89370400440532013000",
    ]);
  });
  it("ignores a wrong check", () => {
    expect(found("IBAN", "to GB82WEST12345698765433")).toEqual([]);
  });
});

describe("US_SSN", () => {
  it("finds separated numbers, bare ones only next to the word", () => {
    expect(found("US_SSN", "ssn 460-89-9847")).toEqual(["460-89-9847"]);
    expect(found("US_SSN", "SSN: 460899847")).toEqual(["460899847"]);
  });
  it("ignores invalid areas, groups and serials, and bare numbers without context", () => {
    expect(
      found("US_SSN", "id 666-12-3456 900-12-3456 123-00-4567 123-45-0000 size 460899847"),
    ).toEqual([]);
  });
});

describe("NATIONAL_ID", () => {
  it("finds UK NINO, Spanish DNI and Dutch BSN with its word", () => {
    expect(found("NATIONAL_ID", "NINO AB 12 34 56 C, DNI 12345678Z, BSN 111222333")).toEqual([
      "AB 12 34 56 C",
      "12345678Z",
      "111222333",
    ]);
  });
  it("ignores invalid prefixes, wrong letters and bare nine-digit numbers", () => {
    expect(found("NATIONAL_ID", "GB123456C 12345678A 111222333")).toEqual([]);
  });
});

describe("PATH_USER", () => {
  it("finds the user-name segment in every profile path form", () => {
    const text =
      "C:\\Users\\alice\\x \\\\?\\C:\\Users\\bob\\y C:\\Documents and Settings\\carol\\z " +
      "\\\\fs01\\c$\\Users\\dave\\w /home/erin/.ssh /Users/frank/Library C:/Users/grace/x " +
      "C:\\\\Users\\\\heidi\\\\y C:\\Users\\John Smith\\Desktop";
    expect(found("PATH_USER", text)).toEqual([
      "alice",
      "bob",
      "carol",
      "dave",
      "erin",
      "frank",
      "grace",
      "heidi",
      "John Smith",
    ]);
  });
  it("ignores shared and built-in profiles and placeholders", () => {
    const text =
      "C:\\Users\\Public\\x C:\\Users\\Default\\x C:\\Users\\All Users\\x C:\\Documents and Settings\\Default User\\x " +
      "C:\\Users\\%USERNAME%\\x /Users/Shared/x /home/$USER/x /root/.bashrc";
    expect(found("PATH_USER", text)).toEqual([]);
  });
});

describe("HOSTNAME", () => {
  it("finds FQDNs, also inside URLs", () => {
    expect(
      found("HOSTNAME", "connect fs01.corp.contoso.com and https://www.example.co.uk/x"),
    ).toEqual(["fs01.corp.contoso.com", "www.example.co.uk"]);
  });
  it("ignores file names, code members and versions", () => {
    expect(
      found(
        "HOSTNAME",
        "report.pdf svchost.exe setup.py README.md System.IO.File $user.name ASP.NET 1.2.3",
      ),
    ).toEqual([]);
  });
});

describe("DOMAIN_ACCOUNT", () => {
  it("finds NetBIOS accounts", () => {
    expect(found("DOMAIN_ACCOUNT", "as CORP\\alice and EU-SALES\\j.smith.")).toEqual([
      "CORP\\alice",
      "EU-SALES\\j.smith",
    ]);
  });
  it("ignores built-in accounts, registry keys, paths and escapes", () => {
    expect(
      found(
        "DOMAIN_ACCOUNT",
        "NT AUTHORITY\\SYSTEM HKLM\\Software C:\\Windows\\System32 hello\\nworld DIR\\file.txt",
      ),
    ).toEqual([]);
  });
});

describe("SECRET", () => {
  it("finds tokens with known prefixes, JWTs and PEM keys", () => {
    const jwt =
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    const text = `AKIAIOSFODNN7EXAMPLE ghp_${"a1B2".repeat(9)} xoxb-123456789012-abcdefABCDEF ${jwt}`;
    expect(found("SECRET", text)).toEqual([
      "AKIAIOSFODNN7EXAMPLE",
      `ghp_${"a1B2".repeat(9)}`,
      "xoxb-123456789012-abcdefABCDEF",
      jwt,
    ]);
    expect(
      found("SECRET", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"),
    ).toHaveLength(1);
  });
  it("finds the value of password, token and bearer assignments", () => {
    expect(
      found("SECRET", 'password=hunter2 -Password "S3cret!" "api_key": "Zk39fQ0pLx7Vb2Nc"'),
    ).toEqual(["hunter2", "S3cret!", "Zk39fQ0pLx7Vb2Nc"]);
    expect(found("SECRET", "Authorization: Bearer abcDEF123456ghiJKL")).toEqual([
      "abcDEF123456ghiJKL",
    ]);
  });
  it("ignores placeholders, low-entropy tokens and -ExecutionPolicy Bypass", () => {
    expect(
      found("SECRET", "password=*** password=$env:PW token=true -ExecutionPolicy Bypass key=abc"),
    ).toEqual([]);
  });
});

describe("PERSON", () => {
  it("finds names with given names, titles and context", () => {
    expect(
      found("PERSON", "My name is Antti Poutiainen and Dr. Anette Lahtela met Kevin Veitonen II."),
    ).toEqual(["Antti Poutiainen", "Anette Lahtela", "Kevin Veitonen II"]);
    expect(found("PERSON", "Mr. Matthews is 36; Sari J. Paavolainen directed it.")).toEqual([
      "Matthews",
      "Sari J. Paavolainen",
    ]);
    expect(found("PERSON", "Bonjour Djevad Šušulić")).toEqual(["Djevad Šušulić"]);
  });
  it("ignores capitalised product, place and code words", () => {
    expect(
      found(
        "PERSON",
        "Microsoft Windows Defender blocked New-Object System.Net.WebClient in Program Files",
      ),
    ).toEqual([]);
    expect(found("PERSON", "Will you update the Windows Security Center?")).toEqual([]);
  });
});

describe("entity selection", () => {
  it("looks only for the entities asked for", () => {
    const text = "alice@example.com 192.168.1.20";
    expect(scanText(text, { entities: new Set<Entity>(["IPV4"]) }).map((f) => f.entity)).toEqual([
      "IPV4",
    ]);
    expect(scanText(text, { entities: new Set<Entity>() })).toEqual([]);
  });
  it("reports non-overlapping findings sorted by start, the longer one winning", () => {
    const text = "mail bob@mail.example.org and 10.0.0.1";
    const findings = scanText(text);
    expect(findings.map((f) => [f.entity, text.slice(f.start, f.end)])).toEqual([
      ["EMAIL", "bob@mail.example.org"],
      ["IPV4", "10.0.0.1"],
    ]);
  });
});
