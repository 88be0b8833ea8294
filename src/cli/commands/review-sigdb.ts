/**
 * `crosscheck review sigdb OLD NEW`: the diff of two ClamAV signature databases (CVD/CLD/CUD
 * containers, folders of database files, tar/tar.gz archives, single database files) and the
 * findings on the new one, as text, `--json`, and optionally a self-contained HTML page
 * (`--html FILE`). NEW may be a `.cdiff`: it is applied to OLD, as freshclam would, and the
 * result is reviewed. `--first` reviews NEW alone (a channel's first database). Malformed lines
 * are reported, not fatal: the command fails (exit 1) only when a database cannot be read at all.
 */
import { Command } from "commander";
import {
  readDatabase,
  readUpdatedDatabase,
  renderSigdbHtml,
  renderSigdbJson,
  renderSigdbText,
  reviewDatabases,
  type SignatureDatabase,
} from "../../review/index.js";
import { writeFileDurably } from "../../store/index.js";

interface ReviewSigdbOptions {
  json?: boolean;
  html?: string;
  externals?: string;
}

export function reviewSigdbCommand(): Command {
  return new Command("sigdb")
    .description(
      "Diff two ClamAV signature databases (.cvd/.cld/.cud, folders, archives or database files; NEW may be a .cdiff applied to OLD) and review the new one.",
    )
    .argument("<old>", "the previous database, or - for none (a first release)")
    .argument("<new>", "the database under review, or a .cdiff to apply to OLD")
    .option("--json", "print the review as JSON")
    .option("--html <file>", "also write a self-contained HTML report to this file")
    .option(
      "--externals <names>",
      "external variables the product defines for YARA rules inside the database, comma-separated",
    )
    .action((oldPath: string, newPath: string, opts: ReviewSigdbOptions) => {
      const externals = opts.externals
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const read = externals ? { externals } : {};
      const started = Date.now();
      const progress = (text: string) => {
        if (!opts.json && process.stderr.isTTY) {
          process.stderr.write(`${text} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
        }
      };
      let old: SignatureDatabase | undefined;
      if (oldPath !== "-") {
        progress(`reading ${oldPath}…`);
        old = readDatabase(oldPath, read);
        progress(`${oldPath}: ${old.signatures.length} signatures`);
      }
      let next: SignatureDatabase;
      if (newPath.toLowerCase().endsWith(".cdiff") && oldPath !== "-") {
        progress(`applying ${newPath} to ${oldPath}…`);
        next = readUpdatedDatabase(oldPath, newPath, read);
      } else {
        progress(`reading ${newPath}…`);
        next = readDatabase(newPath, read);
      }
      progress(`${newPath}: ${next.signatures.length} signatures; comparing and analysing…`);
      const review = reviewDatabases(old, next);
      progress(`${review.findings.length} findings`);
      if (opts.html) writeFileDurably(opts.html, renderSigdbHtml(review));
      process.stdout.write(opts.json ? renderSigdbJson(review) : renderSigdbText(review));
      if (opts.html && !opts.json) process.stdout.write(`HTML report written to ${opts.html}\n`);
    });
}
