/**
 * Account names: the user-name segment of profile paths, and Windows domain accounts.
 *
 * Profile paths: `C:\Users\alice\…` (also `C:/Users/…`, `\\?\C:\Users\…`, UNC
 * `\\host\c$\Users\bob`, doubled backslashes as in escaped command lines),
 * `C:\Documents and Settings\alice`, `/home/alice`, `/Users/alice`. The finding is the user-name
 * segment only, so a redacted path stays a path.
 *
 * Not reported, because they name no person: Windows' and macOS' shared and built-in profiles
 * (Public, Default, Default User, All Users, defaultuser0, DefaultAppPool, WDAGUtilityAccount,
 * Administrator, Guest, systemprofile, LocalService, NetworkService, Shared) and placeholders
 * (`%USERNAME%`, `$USER`, `<user>`, `{user}`, `*`). `root` lives in `/root`, not under `/home`,
 * and is not reported either.
 *
 * Domain accounts: `CORP\alice`, NetBIOS form with an upper-case domain as Windows prints it;
 * a lower-case `word\word` is far more often an escape (`hello\nworld`) or a relative path. The
 * UPN form `alice@corp.local` is reported as EMAIL.
 */
import {
  type Detector,
  eachMatch,
  F_BACKSLASH,
  F_DOMAIN_SLASH,
  F_SLASH,
  type Span,
  type TextFeatures,
} from "./detector.js";

const PROFILE_PATH =
  /(?<![\w.~-])(?:\\{1,2}|\/)(?:users|home|documents and settings)(?:\\{1,2}|\/)([^\\/\r\n\t"'<>|:*?,;=]{1,64})/gi;

const NOT_PERSONAL_PROFILES: ReadonlySet<string> = new Set([
  "public",
  "default",
  "default user",
  "all users",
  "defaultuser0",
  "defaultapppool",
  "wdagutilityaccount",
  "administrator",
  "guest",
  "systemprofile",
  "localservice",
  "networkservice",
  "shared",
]);

function isPlaceholder(name: string): boolean {
  const c = name.charAt(0);
  return c === "%" || c === "$" || c === "<" || c === "{" || c === "*" || c === "[";
}

export const pathUserDetector: Detector = {
  entity: "PATH_USER",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (!features.has(F_BACKSLASH) && !features.has(F_SLASH)) return;
    eachMatch(PROFILE_PATH, text, 0, (m) => {
      const captured = m[1] as string;
      const nameStart = m.index + m[0].length - captured.length;
      const after = text.charCodeAt(m.index + m[0].length);
      // A name with spaces is only taken whole when the path goes on after it (`\John Smith\…`);
      // at the end of a path the first space ends it, as in `cd /home/alice && ls`.
      let name =
        after === 92 || after === 47 ? captured.trimEnd() : (captured.split(/\s/)[0] as string);
      if (name.length === 0 || name.charCodeAt(0) === 32) return;
      if (name.endsWith(".")) name = name.replace(/\.+$/, "");
      if (name.length === 0 || isPlaceholder(name)) return;
      if (NOT_PERSONAL_PROFILES.has(name.toLowerCase())) return;
      out.push({ entity: "PATH_USER", start: nameStart, end: nameStart + name.length });
    });
  },
};

const DOMAIN_ACCOUNT =
  /(?<![\w\\.$%:/-])([A-Z][A-Z0-9-]{1,14})\\([A-Za-z][A-Za-z0-9._-]{0,63})(?![\w\\/])/g;
const BUILTIN_DOMAINS: ReadonlySet<string> = new Set([
  "AUTHORITY",
  "BUILTIN",
  "SERVICE",
  "NT",
  "HKLM",
  "HKCU",
  "HKCR",
  "HKU",
  "HKCC",
  "IIS",
  "APPPOOL",
  "WORKGROUP",
]);
const FILE_LIKE =
  /\.(?:exe|dll|sys|txt|log|ps1|bat|cmd|ini|xml|json|cfg|dat|tmp|lnk|msi|zip|docx?|xlsx?|pdf)$/i;

export const domainAccountDetector: Detector = {
  entity: "DOMAIN_ACCOUNT",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (!features.has(F_DOMAIN_SLASH)) return;
    eachMatch(DOMAIN_ACCOUNT, text, 0, (m) => {
      const domain = m[1] as string;
      let user = m[2] as string;
      if (BUILTIN_DOMAINS.has(domain) || domain.startsWith("HKEY")) return;
      user = user.replace(/[.-]+$/, "");
      if (FILE_LIKE.test(user)) return;
      out.push({
        entity: "DOMAIN_ACCOUNT",
        start: m.index,
        end: m.index + domain.length + 1 + user.length,
      });
    });
  },
};
