/**
 * `crosscheck review rules OLD NEW`: the semantic diff of two rule packs (folders, rule files or
 * .tar/.tar.gz/.zip archives) and the findings on the new one, as text, `--json`, and optionally
 * a self-contained HTML page (`--html FILE`). Files YARA would refuse are reported, not fatal:
 * the command fails (exit 1) only when a pack cannot be read at all.
 */
import { Command } from "commander";
import {
  loadRulePack,
  renderHtml,
  renderJson,
  renderText,
  reviewRulePacks,
} from "../../review/index.js";
import { writeFileDurably } from "../../store/index.js";

interface ReviewRulesOptions {
  json?: boolean;
  html?: string;
  externals?: string;
}

export function reviewRulesCommand(): Command {
  return new Command("rules")
    .description(
      "Diff two YARA rule packs (folders or .tar/.tar.gz/.zip archives) and review the new one.",
    )
    .argument("<old>", "the previous rule pack")
    .argument("<new>", "the rule pack under review")
    .option("--json", "print the review as JSON")
    .option("--html <file>", "also write a self-contained HTML report to this file")
    .option(
      "--externals <names>",
      "external variables the product defines, comma-separated, besides filename, filepath, …",
    )
    .action((oldPath: string, newPath: string, opts: ReviewRulesOptions) => {
      const externals = opts.externals
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const progress = (text: string) => {
        if (!opts.json && process.stderr.isTTY) process.stderr.write(`${text}\n`);
      };
      progress(`reading ${oldPath}…`);
      const old = loadRulePack(oldPath, { externals });
      progress(`reading ${newPath}…`);
      const next = loadRulePack(newPath, { externals });
      progress("comparing and analysing…");
      const review = reviewRulePacks(old, next);
      if (opts.html) writeFileDurably(opts.html, renderHtml(review));
      process.stdout.write(opts.json ? renderJson(review) : renderText(review));
      if (opts.html && !opts.json) process.stdout.write(`HTML report written to ${opts.html}\n`);
    });
}
