import { describe, expect, it } from "vitest";
import { parseRecipe, RECIPE_FORMAT } from "./recipe.js";

const C = `format: crosscheck/rebuild/v1
command: [make, hello]
environment:
  CFLAGS: -O2 -g
  JOBS: 4
timeout: 600
tools: [gcc, make]
artifacts:
  - name: hello
    path: ./build/../hello
`;

describe("the build recipe", () => {
  it("reads a v1 recipe in YAML", () => {
    expect(parseRecipe(C.replace("./build/../hello", "out/hello"))).toEqual({
      format: RECIPE_FORMAT,
      command: ["make", "hello"],
      directory: ".",
      environment: { CFLAGS: "-O2 -g", JOBS: "4" },
      network: false,
      timeout: 600,
      tools: ["gcc", "make"],
      artifacts: [{ name: "hello", path: "out/hello" }],
    });
  });

  it("reads JSON too, and runs a string command with /bin/sh -c", () => {
    const recipe = parseRecipe(
      JSON.stringify({
        format: RECIPE_FORMAT,
        command: "npm ci && npm pack",
        network: true,
        directory: "packages/agent",
        artifacts: [{ name: "agent-1.0.0.tgz", path: "packages/agent/agent-1.0.0.tgz" }],
      }),
    );
    expect(recipe.command).toEqual(["/bin/sh", "-c", "npm ci && npm pack"]);
    expect(recipe).toMatchObject({ network: true, timeout: 1800, directory: "packages/agent" });
  });

  const refusals: [string, string, RegExp][] = [
    [
      "another format version",
      C.replace("v1", "v2"),
      /crosscheck\/rebuild\/v2.*reads crosscheck\/rebuild\/v1/,
    ],
    ["no format at all", "command: make\n", /format is null/],
    ["a field it does not know", `${C}cache: true\n`, /"cache" is not a field/],
    [
      "setting a normalised variable",
      C.replace("JOBS: 4", "SOURCE_DATE_EPOCH: 0"),
      /SOURCE_DATE_EPOCH is set by the rebuilder/,
    ],
    ["replacing PATH", C.replace("JOBS: 4", "PATH: /opt/evil"), /PATH is set by the rebuilder/],
    [
      "an artifact path leaving the checkout",
      C.replace("./build/../hello", "../../etc/passwd"),
      /leaves the checkout/,
    ],
    [
      "an absolute artifact path",
      C.replace("./build/../hello", "/usr/bin/true"),
      /leaves the checkout/,
    ],
    ["no artifacts", C.slice(0, C.indexOf("artifacts:")), /artifacts must list/],
    ["a time limit past a day", C.replace("600", "90000"), /timeout must be whole seconds/],
    ["an empty command", C.replace("[make, hello]", "[]"), /command must be a list/],
    [
      "YAML aliases",
      `${C}x: &a [1]\n`.replace("tools: [gcc, make]", "tools: *a"),
      /cannot be read|tools must list/,
    ],
    ["text that is no YAML", "format: [unclosed\n", /not YAML or JSON/],
  ];
  for (const [what, text, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => parseRecipe(text)).toThrow(
        expect.objectContaining({
          code: "E_RECIPE_INVALID",
          message: expect.stringMatching(message),
        }),
      );
    });
  }
});
