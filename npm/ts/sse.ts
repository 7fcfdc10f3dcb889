/**
 * The change stream where there is no `EventSource` (Node before 22): Server-Sent Events read
 * from a streamed `fetch` body, so a long-running server process hears flag changes as soon as
 * a browser does. Only what the client needs of the standard: `message` events, `retry:`, and
 * reconnecting after the stream ends or the network fails (the worker's stream then announces
 * the current version, which the client compares with its own). Node entries only: browsers and
 * workers never bundle it.
 */
import type { EventSourceLike, EventSourceOptions } from "./types.js";

/** Consecutive failures back off up to this long between attempts. */
const MAX_DELAY_MS = 60_000;

export class FetchEventSource implements EventSourceLike {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  /** 0 connecting, 1 open, 2 closed (as `EventSource.readyState`). */
  readyState = 0;
  private retry = 3000;
  private failures = 0;
  private controller?: AbortController;
  private wake?: () => void;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    readonly url: string,
    private readonly init: EventSourceOptions = {},
  ) {
    void this.run();
  }

  close(): void {
    this.readyState = 2;
    this.controller?.abort();
    clearTimeout(this.timer);
    this.wake?.();
  }

  private async run(): Promise<void> {
    const doFetch = this.init.fetch ?? fetch;
    while (this.readyState !== 2) {
      const controller = (this.controller = new AbortController());
      try {
        const response = await doFetch(this.url, {
          headers: { Accept: "text/event-stream", "Cache-Control": "no-cache", ...this.init.headers },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) {
          // Unread, the body would hold its connection (and the process) open.
          void response.body?.cancel().catch(() => undefined);
          // As browsers do: a stream the server refuses (4xx) is not asked for again.
          if (response.status >= 400 && response.status < 500) return this.close();
          throw new Error(`${response.status}`);
        }
        this.readyState = 1;
        this.failures = 0;
        await this.read(response.body.getReader());
      } catch {
        // A network failure, or the stream ended: reconnect below.
      }
      if (this.readyState === 2) return;
      this.readyState = 0;
      this.onerror?.(new Event("error"));
      const delay = Math.min(this.retry * 2 ** this.failures++, MAX_DELAY_MS);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delay);
      });
    }
  }

  /** Reads events until the stream ends: `data:` lines up to a blank line make one message. */
  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    let data: string[] = [];
    let type = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done || this.readyState === 2) return;
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") {
          if (data.length && (type === "" || type === "message")) {
            this.onmessage?.(new MessageEvent("message", { data: data.join("\n") }));
          }
          data = [];
          type = "";
          continue;
        }
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + (line[colon + 1] === " " ? 2 : 1));
        if (field === "data") data.push(text);
        else if (field === "event") type = text;
        else if (field === "retry" && /^\d+$/.test(text)) this.retry = Number(text);
      }
    }
  }
}
