// The two documents the npm bench compares on, one per library, as plain data. The Burgee
// document is tests/src/lib.rs `benchmark_document(100)`, replicated here in JavaScript (same
// keys, ids, rules and weights), plus `split` (34/33/33), `nested` (rules on `org.plan` and the
// array `groups`) and `static-on` (no rules). The flagd document says the same in flagd's JSON
// Logic: `in` for the target list and the rules, `fractional` for the rollouts (flagd's default
// bucketing, flag key ++ targetingKey, is Burgee's). bench.mjs checks that both give the same
// variant for every flag and a few hundred users before it measures.

/** The targeted flags in each document (each also has `split`, `nested` and `static-on`). */
export const FLAGS = 100;

export function burgeeDocument() {
  const flags = {};
  for (let i = 0; i < FLAGS; i++) {
    const key = `flag-${String(i).padStart(3, "0")}`;
    flags[key] = {
      name: `Targeted flag ${i}`,
      kind: "boolean",
      clientSide: true,
      variants: { on: true, off: false },
      environments: {
        production: {
          enabled: true,
          offVariant: "off",
          targets: [{ values: Array.from({ length: 20 }, (_, j) => `vip-${i}-${j}`), variant: "on" }],
          rules: [
            { id: "roles", clauses: [{ attribute: "role", op: "in", values: ["admin", "beta"] }], serve: { variant: "on" } },
            { id: "environment", clauses: [{ attribute: "environment", op: "in", values: ["staging", "development"] }], serve: { variant: "on" } },
          ],
          defaultServe: { rollout: { weights: [{ variant: "on", weight: 25 }, { variant: "off", weight: 75 }] } },
        },
      },
    };
  }
  flags.split = {
    kind: "string",
    clientSide: true,
    variants: { a: "control", b: "treatment-1", c: "treatment-2" },
    environments: {
      production: {
        enabled: true,
        offVariant: "a",
        defaultServe: { rollout: { weights: [{ variant: "a", weight: 34 }, { variant: "b", weight: 33 }, { variant: "c", weight: 33 }] } },
      },
    },
  };
  flags.nested = {
    kind: "boolean",
    clientSide: true,
    variants: { on: true, off: false },
    environments: {
      production: {
        enabled: true,
        offVariant: "off",
        rules: [
          { id: "plan", clauses: [{ attribute: "org.plan", op: "in", values: ["enterprise"] }], serve: { variant: "on" } },
          { id: "group", clauses: [{ attribute: "groups", op: "in", values: ["beta-testers"] }], serve: { variant: "on" } },
        ],
        defaultServe: { variant: "off" },
      },
    },
  };
  flags["static-on"] = {
    kind: "boolean",
    clientSide: true,
    variants: { on: true, off: false },
    environments: { production: { enabled: true, offVariant: "off", defaultServe: { variant: "on" } } },
  };
  return { environments: ["production"], flags };
}

export function flagdDocument() {
  const flags = {};
  for (let i = 0; i < FLAGS; i++) {
    flags[`flag-${String(i).padStart(3, "0")}`] = {
      state: "ENABLED",
      variants: { on: true, off: false },
      defaultVariant: "off",
      targeting: {
        if: [
          { in: [{ var: "targetingKey" }, Array.from({ length: 20 }, (_, j) => `vip-${i}-${j}`)] },
          "on",
          { in: [{ var: "role" }, ["admin", "beta"]] },
          "on",
          { in: [{ var: "environment" }, ["staging", "development"]] },
          "on",
          { fractional: [["on", 25], ["off", 75]] },
        ],
      },
    };
  }
  flags.split = {
    state: "ENABLED",
    variants: { a: "control", b: "treatment-1", c: "treatment-2" },
    defaultVariant: "a",
    targeting: { fractional: [["a", 34], ["b", 33], ["c", 33]] },
  };
  flags.nested = {
    state: "ENABLED",
    variants: { on: true, off: false },
    defaultVariant: "off",
    targeting: { if: [{ in: [{ var: "org.plan" }, ["enterprise"]] }, "on", { in: ["beta-testers", { var: "groups" }] }, "on", "off"] },
  };
  flags["static-on"] = { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "on" };
  return { flags };
}
