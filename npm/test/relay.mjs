// A TCP relay in front of the real worker, on 127.0.0.1, for network faults only: every byte
// a client gets through it comes from the worker. `cut()` drops the open connections (as a
// lost network does to a change stream) and `block()` refuses new ones until `unblock()`;
// `streams` counts the open connections that carry a change stream (`GET /v1/stream/`).

import { connect, createServer } from "node:net";

export async function startRelay(target) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  const clients = new Set();
  const streams = new Set();
  let blocked = false;
  const server = createServer((client) => {
    if (blocked) return client.destroy();
    const upstream = connect(Number(port), hostname);
    clients.add(client);
    client.on("data", (chunk) => chunk.includes("GET /v1/stream/") && streams.add(client));
    client.on("close", () => (clients.delete(client), streams.delete(client)));
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Client-side connections open now. */
    get open() {
      return clients.size;
    },
    get streams() {
      return streams.size;
    },
    cut() {
      for (const s of sockets) s.destroy();
    },
    block() {
      blocked = true;
      this.cut();
    },
    unblock() {
      blocked = false;
    },
    async close() {
      this.block();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
