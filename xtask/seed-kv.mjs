// Writes KV entries into wrangler's local state, byte for byte: `node seed-kv.mjs STATE FILE`
// where FILE is a JSON list of {key, base64, metadata}. `cargo xtask` uses it to publish
// snapshots to a local worker, as the control plane does; `wrangler kv bulk put --local`
// stores base64 values as lossy UTF-8 text (4.86.0), which corrupts binary snapshots.
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';

const [state, file] = process.argv.slice(2);
if (!state || !file) {
  console.error('usage: node seed-kv.mjs STATE_DIR ENTRIES_JSON');
  process.exit(2);
}
const entries = JSON.parse(readFileSync(file, 'utf8'));
const mf = new Miniflare({
  modules: true,
  script: 'export default { fetch() { return new Response(null, { status: 204 }) } }',
  kvNamespaces: { FLAGS: 'burgee-flags-local' },
  kvPersist: `${state}/v3/kv`,
});
try {
  const kv = await mf.getKVNamespace('FLAGS');
  for (const { key, base64, metadata } of entries) {
    // A plain Uint8Array with its own buffer: miniflare's proxy refuses Node's pooled Buffers.
    const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
    await kv.put(key, bytes, metadata === undefined ? {} : { metadata });
    const back = Buffer.from(await kv.get(key, 'arrayBuffer'));
    if (!back.equals(Buffer.from(bytes))) throw new Error(`${key}: read back ${back.length} bytes that differ`);
  }
  console.log(`seeded ${entries.length} KV entries`);
} finally {
  await mf.dispose();
}
