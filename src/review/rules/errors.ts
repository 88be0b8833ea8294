import { CrosscheckError } from "../../errors/index.js";

/** A rule file YARA would refuse, with the position a rule writer needs to fix it. */
export class YaraSyntaxError extends CrosscheckError {
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(file: string, line: number, column: number, message: string, code = "E_YARA_SYNTAX") {
    super(code, `${file}:${line}:${column}: ${message}`);
    this.name = "YaraSyntaxError";
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** Input over a configured bound (size, nesting, number of rules or strings). */
export class YaraLimitError extends YaraSyntaxError {
  constructor(file: string, line: number, column: number, message: string) {
    super(file, line, column, message, "E_YARA_LIMIT");
    this.name = "YaraLimitError";
  }
}
