/**
 * The HTTP half of `bin/burgee.mjs`: a worker thread that does one `fetch` per message, posts
 * the answer (or the network error) back on the message's port, then raises the message's
 * flag, which the main thread waits on with `Atomics.wait`.
 */
import { parentPort } from "node:worker_threads";

parentPort.on("message", async ({ request, port, flag, timeout }) => {
  let answer;
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? undefined,
      signal: AbortSignal.timeout(timeout),
    });
    answer = { status: response.status, headers: [...response.headers], body: await response.text() };
  } catch (error) {
    const cause = error?.cause?.message;
    answer = { error: cause ? `${error.message}: ${cause}` : String(error?.message ?? error) };
  }
  port.postMessage(answer);
  const cell = new Int32Array(flag);
  Atomics.store(cell, 0, 1);
  Atomics.notify(cell, 0);
});
