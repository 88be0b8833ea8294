/**
 * A strict reader of the Prometheus text exposition format (0.0.4), as a scraper reads it: every
 * line is a comment (`# HELP` / `# TYPE`), blank, or one sample `name{label="value",…} number`.
 * Anything else throws, so a malformed `/metrics` fails the test instead of being skipped over.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/;

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const [n, line] of text.split("\n").entries()) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const type =
        /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (type) {
        if (types.has(type[1] as string)) throw new Error(`line ${n + 1}: ${type[1]} typed twice`);
        types.set(type[1] as string, type[2] as string);
      } else if (!/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) {
        throw new Error(`line ${n + 1}: not a HELP or TYPE comment: ${line}`);
      }
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`line ${n + 1}: no metric name: ${line}`);
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      rest = rest.slice(1);
      while (!rest.startsWith("}")) {
        const label = LABEL.exec(rest);
        if (!label) throw new Error(`line ${n + 1}: bad label: ${line}`);
        labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c: string) =>
          c === "n" ? "\n" : c,
        );
        rest = rest.slice(label[0].length);
        if (rest.startsWith(",")) rest = rest.slice(1);
      }
      rest = rest.slice(1);
    }
    const number = /^ (\S+)( -?\d+)?$/.exec(rest);
    if (!number) throw new Error(`line ${n + 1}: bad value: ${line}`);
    const raw = number[1] as string;
    // Prometheus reads values with Go's ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
    const special = raw.toLowerCase();
    const value =
      special === "+inf"
        ? Infinity
        : special === "-inf"
          ? -Infinity
          : special === "nan"
            ? NaN
            : Number(raw);
    if (Number.isNaN(value) && special !== "nan")
      throw new Error(`line ${n + 1}: bad number: ${line}`);
    const family = name.replace(/_(bucket|count|sum|total)$/, "");
    if (!types.has(name) && !types.has(family)) {
      throw new Error(`line ${n + 1}: sample ${name} has no TYPE`);
    }
    samples.push({ name, labels, value });
  }
  return samples;
}
