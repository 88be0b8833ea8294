/**
 * One keyword and encoding engine for every review of vendor content: the terms (classification
 * markings, handling caveats, state bodies, many languages), the scanner that finds them in
 * binary strings (ASCII, UTF-8, UTF-16, legacy code pages, separators free), the cascade of
 * hand-written encodings (base64, hex text, one-byte XOR), and the document/malware indicators
 * that weigh a hit. The YARA review and the ClamAV signature review both read patterns through
 * it, so a marking is found the same way whichever format hides it. Pure and browser-safe.
 */
export { binaryOf, bytesOf, foldAscii, readable, stripNul } from "./binary.js";
export { documentFormatIn, malwareIndicatorIn } from "./indicators.js";
export { findTerms, findXorTerm, type TermHit } from "./scanner.js";
export {
  base64Decodings,
  huntingLevel,
  type Spelling,
  type SpellingWay,
  type SpellOptions,
  spelledTerms,
  termsAcrossPieces,
} from "./spelling.js";
export { CJK_LEGACY, TERMS, type Term } from "./terms.js";
