#!/usr/bin/env node
/**
 * `npx burgee …`: the `burgee` command with no Rust toolchain. The commands are the native
 * binary's (the CLI crate, compiled into the package's full wasm build and called as
 * `runCli`); this file only hosts them: files and standard streams through `node:fs`, the
 * clock, `BURGEE_TOKEN`, and HTTP. The commands are synchronous, so HTTP is too: a worker
 * thread (`http-worker.mjs`) does the `fetch` while this thread waits on a SharedArrayBuffer
 * (`Atomics.wait`) and then takes the answer off a message port.
 */
import { readFileSync, writeFileSync, writeSync } from "node:fs";
import { MessageChannel, Worker, receiveMessageOnPort } from "node:worker_threads";
import { initSync, runCli } from "../dist/pkg/full/burgee_npm.js";

initSync({ module: readFileSync(new URL("../dist/pkg/full/burgee_npm_bg.wasm", import.meta.url)) });

/** How long one HTTP call may take before it counts as a network error. */
const HTTP_TIMEOUT_MS = 60_000;

let fetcher;

/** One HTTP exchange, synchronously: `request` and the answer are JSON text (see src/cli.rs). */
function http(requestJson) {
  fetcher ??= new Worker(new URL("./http-worker.mjs", import.meta.url));
  const flag = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  fetcher.postMessage({ request: JSON.parse(requestJson), port: port2, flag, timeout: HTTP_TIMEOUT_MS }, [port2]);
  const waited = Atomics.wait(new Int32Array(flag), 0, 0, HTTP_TIMEOUT_MS + 5_000);
  const received = receiveMessageOnPort(port1);
  port1.close();
  if (waited === "timed-out" || !received) throw `no answer within ${HTTP_TIMEOUT_MS / 1000} s`;
  if (received.message.error !== undefined) throw received.message.error;
  return JSON.stringify(received.message);
}

/** Writes all of `bytes` to a file descriptor, retrying while a non-blocking pipe is full. */
function writeAll(fd, bytes) {
  let offset = 0;
  for (let attempts = 0; offset < bytes.length && attempts < 100_000; attempts++) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
    }
  }
}

/** Rethrows a file error the way the CLI reads it: "ENOENT" for a missing file. */
function fileError(error) {
  return error.code === "ENOENT" ? "ENOENT" : String(error.message);
}

const host = {
  readFile(path) {
    try {
      return readFileSync(path);
    } catch (error) {
      throw fileError(error);
    }
  },
  writeFile(path, bytes) {
    try {
      writeFileSync(path, bytes);
    } catch (error) {
      throw fileError(error);
    }
  },
  readStdin() {
    try {
      return readFileSync(0);
    } catch (error) {
      throw fileError(error);
    }
  },
  writeStdout(bytes) {
    try {
      writeAll(1, bytes);
    } catch (error) {
      throw String(error.message);
    }
  },
  writeStderr(text) {
    writeAll(2, Buffer.from(text));
  },
  nowMillis: () => Date.now(),
  envVar: (name) => process.env[name],
  http,
};

const code = runCli(process.argv.slice(2), host);
fetcher?.terminate();
process.exitCode = code;
