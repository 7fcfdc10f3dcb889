// Starts the app. A file rather than an inline script, so that the page's
// Content-Security-Policy can allow scripts from this origin only (admin-ui/_headers).
import init from "./burgee_admin_ui.js";

init({ module_or_path: new URL("./burgee_admin_ui_bg.wasm", document.baseURI) });
