// A JS OFREP worker on @openfeature/flagd-core: the comparison point for Burgee's edge worker
// in `cargo xtask bench` (dev only). Same routes, same flags (the flagd document is generated
// from tests/src/lib.rs `benchmark_document_flagd`, bound as the `FLAGD_DOCUMENT` text module),
// one FlagdCore per isolate, configured once.
import { FlagdCore } from "@openfeature/flagd-core";
import document from "./flags.json";

const silent = { error() {}, warn() {}, info() {}, debug() {} };
const core = new FlagdCore(undefined, silent);
core.setConfigurations(typeof document === "string" ? document : JSON.stringify(document));

function evaluation(d) {
  if (d.errorCode) return { key: d.flagKey, errorCode: d.errorCode, errorDetails: d.errorMessage };
  return { key: d.flagKey, value: d.value, variant: d.variant, reason: d.reason };
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/ofrep/v1/evaluate/flags") {
      let body;
      try {
        body = await request.json();
      } catch {
        return Response.json({ errorCode: "INVALID_CONTEXT", errorDetails: "not JSON" }, { status: 400 });
      }
      const flags = core.resolveAll(body?.context ?? {}, silent).map(evaluation);
      return Response.json({ flags });
    }
    if (url.pathname === "/health") return Response.json({ status: "ok" });
    return Response.json({ error: { code: "not_found", message: "no route" } }, { status: 404 });
  },
};
