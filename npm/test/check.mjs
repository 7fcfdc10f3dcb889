// The corpus comparison of tests/src/lib.rs `check`, for JavaScript hosts (Node and the
// browser page import this same file): numbers compare as numbers, optional fields are strict
// (absent in the expectation means absent, or null, in the result), errorMessage is free text.

export const DEFAULT_NOW = "2026-01-01T00:00:00Z";

export function sameJson(a, b) {
  if (typeof a === "number" && typeof b === "number") return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return a === b;
}

/** Why `actual` does not meet `expect`, or null. */
export function check(expect, actual) {
  const problems = [];
  if (!actual || !("value" in actual) || !sameJson(actual.value, expect.value)) {
    problems.push(`value: expected ${JSON.stringify(expect.value)}, got ${JSON.stringify(actual?.value)}`);
  }
  for (const name of ["variant", "reason", "ruleId", "errorCode", "prerequisite"]) {
    const got = actual?.[name] ?? null;
    const want = expect[name] ?? null;
    if (got !== want) problems.push(`${name}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  return problems.length ? problems.join("; ") : null;
}

/** The evaluation files of the corpus (all but murmur3.json and validation.json). */
export function isEvalFile(name) {
  return name.endsWith(".json") && name !== "murmur3.json" && name !== "validation.json";
}

/** The environments a file's cases and distributions use. */
export function environments(file) {
  return [...new Set([...file.cases, ...(file.distributions ?? [])].map((c) => c.env))];
}

/**
 * Runs every case of `files` ({name: file}) through `evaluate(name, file, case)` and returns
 * { passed, failures }. With `bulk(name, file, case)` also checks that evaluating all flags
 * at once agrees (cases without a type, like the native runner).
 */
export function runCases(files, evaluate, bulk) {
  let passed = 0;
  const failures = [];
  for (const [name, file] of Object.entries(files)) {
    for (const c of file.cases) {
      let problem;
      try {
        const actual = evaluate(name, file, c);
        problem = check(c.expect, actual);
        if (problem) problem += ` (result: ${JSON.stringify(actual)})`;
        if (!problem && bulk && c.type === undefined) {
          const all = bulk(name, file, c);
          if (all && Object.hasOwn(all, c.flag)) {
            const one = { ...actual, value: undefined, errorMessage: undefined };
            const many = { ...all[c.flag], value: undefined, errorMessage: undefined };
            // Bulk results serve `null` as the default; compare everything but the value then.
            if (!sameJson(JSON.parse(JSON.stringify(one)), JSON.parse(JSON.stringify(many)))) {
              problem = `bulk ${JSON.stringify(all[c.flag])} != single ${JSON.stringify(actual)}`;
            }
          }
        }
      } catch (e) {
        problem = `threw ${e?.stack ?? e}`;
      }
      if (problem) failures.push(`${name} ${c.id}: ${problem}`);
      else passed++;
    }
  }
  return { passed, failures };
}
