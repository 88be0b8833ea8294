/**
 * A seeded, deterministic generator of EDR telemetry with personal data planted in it, and the
 * exact labels of what was planted. Used by `eval-pii.ts` (scanner quality) and `gateway.ts`
 * (throughput on realistic records).
 *
 * Records: `process_start`, `file_write`, `network_connect`, `detection`, `dns_query`,
 * `script_block`, `user_logon`, each with `event`, `id`, `time`, `host_id` and the fields of its
 * type (the data dictionary describes exactly this shape).
 *
 * Labelled: personal data inside free text (`command_line`, `description`, `script`) and user
 * names inside paths (`image_path`, `path`, `file_path`, `process.image_path`), plain and in each
 * encoding the scanner looks through (base64, hex, url, JSON inside the string, gzip+base64, and
 * two deep: base64 of url, base64 of JSON). A label's span follows `PiiFinding`: offsets in the
 * field's string value; for an encoded token, the whole token.
 *
 * NOT labelled: fields whose whole value is by declaration an entity (`remote_ip`, `local_ip`,
 * `source_ip`, `user`, `account`, `domain`, `query`, `answers`). The gateway treats those by field
 * type, not by scanning, so they are not scanner ground truth.
 *
 * Noise that must stay quiet is everywhere: GUIDs, SHA-256 digests, ISO timestamps, version
 * numbers, error codes, ports, sizes, registry paths, built-in accounts, file names with
 * TLD-like extensions, shared profiles (`C:\Users\Public`).
 */
import { gzipSync } from "node:zlib";
import { ENTITIES, type Encoding, type Entity } from "../src/gateway/pii/index.js";

export interface Label {
  record: number;
  /** Top-level key, or dotted path for a nested field (`process.image_path`). */
  field: string;
  start: number;
  end: number;
  entity: Entity;
  encoding: Encoding[];
}

export interface TelemetryOptions {
  seed: number;
  /** Stop once the records' NDJSON size reaches this many bytes. */
  bytes: number;
  /** Share of records that get personal data planted; default 0.3. */
  piiRate?: number;
}

/** Field kinds as the data dictionary declares them; the eval scans by these. */
export const FREE_TEXT_FIELDS = ["command_line", "description", "script"] as const;
export const PATH_FIELDS = ["image_path", "path", "file_path", "process.image_path"] as const;

/** mulberry32: small, fast, good enough for test data, same sequence on every platform. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = rng(seed);
  }
  float(): number {
    return this.next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  chars(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }
  digits(n: number): string {
    return this.chars("0123456789", n);
  }
  hex(n: number): string {
    return this.chars("0123456789abcdef", n);
  }
  guid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${this.pick(["8", "9", "a", "b"])}${this.hex(3)}-${this.hex(12)}`;
  }
}

const GIVEN = [
  "Anna",
  "Jonas",
  "Maria",
  "Lukas",
  "Sophie",
  "Emma",
  "Oliver",
  "Fatima",
  "Mohammed",
  "Priya",
  "Chen",
  "Hiroshi",
  "Olga",
  "Dmitri",
  "Lucia",
  "Pierre",
  "Ingrid",
  "Sven",
  "Aisha",
  "Carlos",
  "Giulia",
  "Katarzyna",
  "Thomas",
  "Sarah",
  "Michael",
  "Elena",
  "Ahmed",
  "Yuki",
  "Kwame",
  "Isabel",
];
const SURNAMES = [
  "Schmidt",
  "Novak",
  "Garcia",
  "Kowalski",
  "Jensen",
  "Rossi",
  "Dubois",
  "Patel",
  "Nguyen",
  "Tanaka",
  "Ivanova",
  "Okafor",
  "Larsen",
  "Silva",
  "Horvath",
  "Berglund",
  "Moreau",
  "Fischer",
  "Haddad",
  "Weber",
  "Lindqvist",
  "Marchetti",
  "Brennan",
  "Okonkwo",
  "Vasquez",
];
const LOGINS = [
  "alice",
  "bob",
  "j.smith",
  "a.mueller",
  "mgarcia",
  "kowalska.k",
  "chen.wei",
  "sven_l",
  "priya.p",
  "o.ivanova",
];
const DOMAINS = [
  "example.com",
  "contoso.com",
  "fabrikam.co.uk",
  "mail.example.org",
  "corp.contoso.local",
  "example.de",
];
const NETBIOS = ["CORP", "CONTOSO", "FABRIKAM", "EU-SALES"];

interface Planted {
  /** Text to insert (the value, possibly with words around it). */
  text: string;
  /** Where the entity lies inside `text`. */
  start: number;
  end: number;
  entity: Entity;
}

function plain(entity: Entity, value: string, before = "", after = ""): Planted {
  return {
    text: before + value + after,
    start: before.length,
    end: before.length + value.length,
    entity,
  };
}

function luhnComplete(partial: string): string {
  for (let d = 0; d <= 9; d++) {
    const candidate = partial + d;
    let sum = 0;
    let dbl = false;
    for (let i = candidate.length - 1; i >= 0; i--) {
      let v = candidate.charCodeAt(i) - 48;
      if (dbl) {
        v *= 2;
        if (v > 9) v -= 9;
      }
      sum += v;
      dbl = !dbl;
    }
    if (sum % 10 === 0) return candidate;
  }
  return partial;
}

function ibanFor(country: string, bban: string): string {
  const rotated = `${bban}${country}00`;
  let rest = 0;
  for (const ch of rotated) {
    const c = ch.charCodeAt(0);
    rest = c >= 65 ? (rest * 100 + (c - 55)) % 97 : (rest * 10 + (c - 48)) % 97;
  }
  return `${country}${String(98 - rest).padStart(2, "0")}${bban}`;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** One value of `entity`, in one of the formats people and programs write it in. */
function piiValue(r: Random, entity: Entity): Planted {
  const first = r.pick(GIVEN);
  const last = r.pick(SURNAMES);
  switch (entity) {
    case "EMAIL":
      return plain(entity, `${first.toLowerCase()}.${last.toLowerCase()}@${r.pick(DOMAINS)}`);
    case "PHONE":
      return plain(
        entity,
        r.pick([
          `+1-${r.int(201, 989)}-555-${r.digits(4)}`,
          `+44 20 ${r.digits(4)} ${r.digits(4)}`,
          `(${r.int(201, 989)}) 555-${r.digits(4)}`,
          `+49 30 ${r.digits(8)}`,
          `030 ${r.digits(4)} ${r.digits(4)}`,
          `+33 1 ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`,
          `${r.int(201, 989)}-555-${r.digits(4)}`,
        ]),
      );
    case "IPV4":
      return plain(entity, `${r.int(11, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`);
    case "IPV6":
      return plain(
        entity,
        r.float() < 0.5
          ? Array.from({ length: 8 }, () => r.hex(r.int(1, 4)).replace(/^0+(?=.)/, "")).join(":")
          : `2001:db8:${r.hex(4)}::${r.hex(3)}:${r.hex(4)}`,
      );
    case "MAC": {
      const sep = r.pick([":", "-"]);
      const mac = Array.from({ length: 6 }, () => r.hex(2)).join(sep);
      return plain(entity, r.float() < 0.5 ? mac : mac.toUpperCase());
    }
    case "CREDIT_CARD": {
      const kind = r.int(0, 3);
      if (kind === 2) {
        const n = luhnComplete(`3${r.pick(["4", "7"])}${r.digits(12)}`);
        return plain(
          entity,
          r.float() < 0.5 ? n : `${n.slice(0, 4)} ${n.slice(4, 10)} ${n.slice(10)}`,
        );
      }
      const body =
        kind === 0
          ? `4${r.digits(14)}`
          : kind === 1
            ? `5${r.int(1, 5)}${r.digits(13)}`
            : `6011${r.digits(11)}`;
      const n = luhnComplete(body);
      const sep = r.pick(["", " ", "-"]);
      return plain(entity, sep === "" ? n : (n.match(/.{4}/g)?.join(sep) ?? n));
    }
    case "IBAN": {
      const country = r.pick(["DE", "GB", "NL", "FR", "ES", "IT", "BE", "CH"]);
      const bban =
        country === "DE"
          ? r.digits(18)
          : country === "GB"
            ? r.chars(UPPER, 4) + r.digits(14)
            : country === "NL"
              ? r.chars(UPPER, 4) + r.digits(10)
              : country === "FR"
                ? r.digits(23)
                : country === "ES"
                  ? r.digits(20)
                  : country === "IT"
                    ? r.chars(UPPER, 1) + r.digits(22)
                    : country === "BE"
                      ? r.digits(12)
                      : r.digits(17);
      const iban = ibanFor(country, bban);
      return plain(entity, r.float() < 0.5 ? iban : (iban.match(/.{1,4}/g) ?? []).join(" "));
    }
    case "US_SSN": {
      let area = r.int(1, 899);
      if (area === 666) area = 667;
      const ssn = [
        String(area).padStart(3, "0"),
        String(r.int(1, 99)).padStart(2, "0"),
        String(r.int(1, 9999)).padStart(4, "0"),
      ];
      return plain(entity, ssn.join(r.float() < 0.8 ? "-" : " "));
    }
    case "NATIONAL_ID": {
      const kind = r.int(0, 2);
      if (kind === 0) {
        const nino = `${r.pick(["AB", "CE", "JG", "PR", "SW", "TY"])}${r.digits(6)}${r.pick(["A", "B", "C", "D"])}`;
        return plain(
          entity,
          r.float() < 0.5
            ? nino
            : `${nino.slice(0, 2)} ${nino.slice(2, 4)} ${nino.slice(4, 6)} ${nino.slice(6, 8)} ${nino.slice(8)}`,
        );
      }
      if (kind === 1) {
        const n = r.digits(8);
        return plain(entity, `${n}${"TRWAGMYFPDXBNJZSQVHLCKE"[Number(n) % 23]}`);
      }
      for (;;) {
        const d = r.digits(9);
        let sum = 0;
        for (let i = 0; i < 8; i++) sum += (9 - i) * Number(d[i]);
        sum -= Number(d[8]);
        if (sum % 11 === 0 && d[0] !== "0") return plain(entity, d, "BSN ");
      }
    }
    case "PATH_USER": {
      const user = r.float() < 0.15 ? `${first} ${last}` : r.pick(LOGINS);
      return r.float() < 0.5
        ? plain(entity, user, "C:\\Users\\", `\\Downloads\\setup_${r.int(1, 9)}.exe`)
        : plain(entity, user.replace(" ", "."), "/home/", "/.cache/run.sh");
    }
    case "HOSTNAME":
      return plain(
        entity,
        `${r.pick(["ws", "srv", "dc", "laptop", "fs"])}-${r.digits(4)}.${r.pick(["corp.contoso.com", "eu.fabrikam.net", "example.org", "office.example.de"])}`,
      );
    case "DOMAIN_ACCOUNT":
      return plain(entity, `${r.pick(NETBIOS)}\\${r.pick(LOGINS)}`);
    case "SECRET": {
      const kind = r.int(0, 5);
      if (kind === 0) return plain(entity, `AKIA${r.chars(`${UPPER}234567`, 16)}`);
      if (kind === 1) return plain(entity, `ghp_${r.chars(ALNUM, 36)}`);
      if (kind === 2)
        return plain(entity, `xoxb-${r.digits(11)}-${r.digits(12)}-${r.chars(ALNUM, 24)}`);
      if (kind === 3) {
        const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
        return plain(
          entity,
          `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub: r.digits(6), iat: r.int(1e9, 2e9) })}.${r.chars(ALNUM, 43)}`,
        );
      }
      if (kind === 4) return plain(entity, `${r.chars(ALNUM, 10)}!${r.int(10, 99)}`, "password=");
      return plain(entity, r.chars(ALNUM, 32), "Authorization: Bearer ");
    }
    case "PERSON":
      return plain(entity, `${first} ${last}`);
  }
}

const FREE_TEXT_ENTITIES: readonly Entity[] = ENTITIES;

/**
 * Every character as a `\uXXXX` escape, as a sender hiding data in JSON would write it: only
 * parsing the JSON reveals the value (a plain value inside JSON is found as plain text).
 */
function jsonEscapeAll(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++)
    out += `\\u${text.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
}

/** Wraps a planted value in one encoding (or two); the label becomes the whole token. */
function encode(r: Random, planted: Planted): { token: string; encoding: Encoding[] } {
  const text = planted.text;
  const kind = r.int(0, 6);
  switch (kind) {
    case 0:
      return { token: Buffer.from(`data: ${text};`).toString("base64"), encoding: ["base64"] };
    case 1:
      return { token: Buffer.from(`data: ${text};`).toString("hex"), encoding: ["hex"] };
    case 2:
      return { token: encodeURIComponent(`data: ${text};`), encoding: ["url"] };
    case 3:
      return { token: `{"kind":"note","value":"${jsonEscapeAll(text)}"}`, encoding: ["json"] };
    case 4:
      return {
        token: gzipSync(Buffer.from(`data: ${text};`)).toString("base64"),
        encoding: ["base64", "gzip"],
      };
    case 5:
      return {
        token: Buffer.from(encodeURIComponent(`data: ${text};`)).toString("base64url"),
        encoding: ["base64", "url"],
      };
    default:
      return {
        token: Buffer.from(`{"value":"${jsonEscapeAll(text)}"}`).toString("base64"),
        encoding: ["base64", "json"],
      };
  }
}

const SIGNERS = [
  "Microsoft Windows",
  "Microsoft Corporation",
  "Google LLC",
  "Mozilla Corporation",
  "Adobe Inc.",
  "(unsigned)",
];
const RULES = [
  "Suspicious PowerShell EncodedCommand",
  "Credential Dumping via LSASS Access",
  "Ransomware File Rename Burst",
  "Office Spawning Script Host",
];
const SYSTEM_PATHS = [
  "C:\\Windows\\System32\\svchost.exe",
  "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
  "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
  "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
  "C:\\Users\\Public\\Documents\\report.pdf",
  "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MsMpEng.exe",
  "/usr/bin/python3.11",
  "/usr/lib/systemd/systemd-journald",
  "/opt/vendor/agent/bin/edr-agent",
  "/Users/Shared/Library/update.sh",
];

interface Slot {
  field: string;
  before: string;
  after: string;
}

/** Free-text values with noise and one place where personal data may go. */
function commandLine(r: Random): Slot {
  return r.pick<Slot>([
    {
      field: "command_line",
      before: `"C:\\Program Files\\Vendor\\app.exe" --trace ${r.guid()} --user `,
      after: ` --retries ${r.int(1, 9)}`,
    },
    {
      field: "command_line",
      before: `powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\ops\\collect.ps1 -Target `,
      after: " -Verbose",
    },
    {
      field: "command_line",
      before: `curl.exe -s -o manifest_v${r.int(1, 9)}.${r.int(0, 20)}.${r.int(0, 99)}.json -H "X-Request: ${r.hex(32)}" -d `,
      after: "",
    },
    {
      field: "command_line",
      before: `/usr/bin/python3 /opt/tools/sync.py --since 2026-11-${String(r.int(1, 28)).padStart(2, "0")}T0${r.int(0, 9)}:15:00Z --owner `,
      after: ` --sha ${r.hex(64)}`,
    },
    {
      field: "command_line",
      before: `cmd.exe /c reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run & echo `,
      after: ` > %TEMP%\\out_${r.int(100, 999)}.log`,
    },
  ]);
}

function description(r: Random): Slot {
  return r.pick<Slot>([
    {
      field: "description",
      before: `Process ${r.pick(["rundll32.exe", "wscript.exe", "mshta.exe"])} (pid ${r.int(100, 65000)}) contacted a rare destination; subject `,
      after: ` flagged at severity ${r.int(1, 10)}.`,
    },
    {
      field: "description",
      before:
        "Detection raised by NT AUTHORITY\\SYSTEM context, rule v2.4.1 matched; related identity ",
      after: ` (error 0x8007${r.hex(4)}).`,
    },
    {
      field: "description",
      before: `File report.pdf written ${r.int(2, 50)} times in ${r.int(1, 9)}.${r.int(0, 9)}s; entropy 7.9; value seen: `,
      after: ".",
    },
  ]);
}

function script(r: Random): Slot {
  return r.pick<Slot>([
    {
      field: "script",
      before: `$wc = New-Object System.Net.WebClient; $wc.Headers.Add('X-Id','${r.guid()}'); $data = '`,
      after: `'; $wc.UploadString($uri, $data)`,
    },
    {
      field: "script",
      before:
        "Get-ChildItem -Path $env:USERPROFILE -Recurse | Where-Object { $_.Length -gt 1MB } | Select-Object Name, Length; Write-Host ",
      after: "",
    },
    {
      field: "script",
      before: `[System.IO.File]::WriteAllText("C:\\Windows\\Temp\\t${r.int(1, 99)}.txt", "`,
      after: `")`,
    },
  ]);
}

function ip(r: Random): string {
  return `${r.int(11, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}

function noisePath(r: Random): string {
  return r.pick(SYSTEM_PATHS);
}

interface Builder {
  record: Record<string, unknown>;
  slots: Slot[];
}

function baseRecord(r: Random, event: string, index: number): Record<string, unknown> {
  const ms = Date.UTC(2026, 10, 1) + index * 137 + r.int(0, 99);
  return { event, id: r.guid(), time: new Date(ms).toISOString(), host_id: r.guid() };
}

function build(r: Random, index: number): Builder {
  const kind = r.int(0, 6);
  const slots: Slot[] = [];
  let record: Record<string, unknown>;
  switch (kind) {
    case 0: {
      const cl = commandLine(r);
      slots.push(cl, { field: "image_path", before: "", after: "" });
      record = {
        ...baseRecord(r, "process_start", index),
        pid: r.int(100, 65000),
        ppid: r.int(4, 65000),
        image_path: noisePath(r),
        command_line: cl.before + cl.after,
        sha256: r.hex(64),
        user: r.pick(LOGINS),
        signer: r.pick(SIGNERS),
        integrity: r.pick(["low", "medium", "high", "system"]),
      };
      break;
    }
    case 1:
      slots.push({ field: "path", before: "", after: "" });
      record = {
        ...baseRecord(r, "file_write", index),
        pid: r.int(100, 65000),
        path: noisePath(r),
        size: r.int(0, 50_000_000),
        sha256: r.hex(64),
        entropy: Math.round(r.float() * 800) / 100,
      };
      break;
    case 2:
      record = {
        ...baseRecord(r, "network_connect", index),
        pid: r.int(100, 65000),
        remote_ip: ip(r),
        remote_port: r.pick([443, 80, 53, 445, 3389, r.int(1024, 65535)]),
        local_ip: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
        protocol: r.pick(["tcp", "udp"]),
        domain: `${r.pick(["api", "cdn", "login"])}.${r.pick(DOMAINS)}`,
      };
      break;
    case 3: {
      const d = description(r);
      slots.push(
        d,
        { field: "file_path", before: "", after: "" },
        { field: "process.image_path", before: "", after: "" },
      );
      record = {
        ...baseRecord(r, "detection", index),
        rule: r.pick(RULES),
        severity: r.pick(["low", "medium", "high", "critical"]),
        file_path: noisePath(r),
        sha256: r.hex(64),
        description: d.before + d.after,
        process: { pid: r.int(100, 65000), image_path: noisePath(r) },
      };
      break;
    }
    case 4:
      record = {
        ...baseRecord(r, "dns_query", index),
        query: `${r.pick(["www", "mail", "telemetry"])}.${r.pick(DOMAINS)}`,
        answers: [ip(r), ip(r)],
      };
      break;
    case 5: {
      const s = script(r);
      slots.push(s);
      record = { ...baseRecord(r, "script_block", index), script: s.before + s.after };
      break;
    }
    default:
      record = {
        ...baseRecord(r, "user_logon", index),
        account: `${r.pick(NETBIOS)}\\${r.pick(LOGINS)}`,
        logon_type: r.pick([2, 3, 10]),
        source_ip: ip(r),
      };
  }
  return { record, slots };
}

function setField(record: Record<string, unknown>, field: string, value: string): void {
  const dot = field.indexOf(".");
  if (dot === -1) record[field] = value;
  else (record[field.slice(0, dot)] as Record<string, unknown>)[field.slice(dot + 1)] = value;
}

function plantInPath(
  r: Random,
  record: Record<string, unknown>,
  field: string,
  index: number,
  labels: Label[],
): void {
  const p = piiValue(r, "PATH_USER");
  setField(record, field, p.text);
  labels.push({
    record: index,
    field,
    start: p.start,
    end: p.end,
    entity: "PATH_USER",
    encoding: [],
  });
}

function plantInText(
  r: Random,
  record: Record<string, unknown>,
  slot: Slot,
  index: number,
  labels: Label[],
): void {
  const entity = r.pick(FREE_TEXT_ENTITIES);
  const planted = piiValue(r, entity);
  const at = slot.before.length;
  if (r.float() < 0.5) {
    setField(record, slot.field, slot.before + planted.text + slot.after);
    labels.push({
      record: index,
      field: slot.field,
      start: at + planted.start,
      end: at + planted.end,
      entity,
      encoding: [],
    });
    return;
  }
  const { token, encoding } = encode(r, planted);
  // Encoded tokens stand alone between spaces, as they do in command lines and scripts.
  setField(record, slot.field, `${slot.before}${token} ${slot.after.replace(/^ /, "")}`);
  labels.push({
    record: index,
    field: slot.field,
    start: at,
    end: at + token.length,
    entity,
    encoding,
  });
}

/** Records and labels, the same for the same seed; stops once `bytes` of NDJSON are reached. */
export function generateTelemetry(options: TelemetryOptions): {
  records: object[];
  labels: Label[];
} {
  const r = new Random(options.seed);
  const piiRate = options.piiRate ?? 0.3;
  const records: object[] = [];
  const labels: Label[] = [];
  let size = 0;
  for (let index = 0; size < options.bytes; index++) {
    const { record, slots } = build(r, index);
    if (slots.length > 0 && r.float() < piiRate) {
      const slot = r.pick(slots);
      if (slot.before === "" && slot.after === "")
        plantInPath(r, record, slot.field, index, labels);
      else plantInText(r, record, slot, index, labels);
    }
    records.push(record);
    size += JSON.stringify(record).length + 1;
  }
  return { records, labels };
}
