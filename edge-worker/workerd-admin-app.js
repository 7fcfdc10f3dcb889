// The admin app's files on a self-hosted workerd (edge-worker/workerd.capnp): what the edge
// worker's ASSETS binding is there, in place of Cloudflare's static assets (wrangler.toml's
// [assets]). The edge worker decides what is the app's and sets the security headers; this
// only answers for files, as [assets] would:
//   - `…/` is that directory's index.html;
//   - a path that names no file and has no file extension (a deep link into the app, e.g.
//     /admin/flags/new-checkout) is the root index.html, like [assets]' single-page-application
//     fallback; a missing file with an extension (a script, a wasm module) is a 404;
//   - the Content-Type comes from the file's extension.
// The files come from the `admin-files` disk service (`--directory-path admin-files=DIR`, the
// built admin-ui/dist).

const TYPES = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  wasm: "application/wasm",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  txt: "text/plain; charset=utf-8",
};

function extension(path) {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

function notFound(message) {
  return Response.json({ error: { code: "not_found", message } }, { status: 404 });
}

export default {
  async fetch(request, env) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(null, { status: 405, headers: { Allow: "GET, HEAD" } });
    }
    const url = new URL(request.url);
    let path = url.pathname.endsWith("/") ? `${url.pathname}index.html` : url.pathname;
    let file = await env.FILES.fetch(new URL(path, url));
    if (file.status === 404 && extension(path) === "") {
      path = "/index.html";
      file = await env.FILES.fetch(new URL(path, url));
    }
    // A directory (a path without its slash) is no file either.
    if (file.status !== 200 || extension(path) === "") {
      return notFound(`no admin app file at ${url.pathname} (is the admin app built?)`);
    }
    const headers = new Headers({
      "Content-Type": TYPES[extension(path)] ?? "application/octet-stream",
      // The files keep their names from build to build: always revalidated.
      "Cache-Control": "no-cache",
    });
    for (const name of ["Last-Modified", "ETag", "Content-Length"]) {
      const value = file.headers.get(name);
      if (value) headers.set(name, value);
    }
    return new Response(request.method === "HEAD" ? null : file.body, { status: 200, headers });
  },
};
