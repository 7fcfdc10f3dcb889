#!/bin/sh
# Development shortcut; `cargo xtask` (xtask/src/admin_ui.rs) is the real build. Same layout:
# the app in admin-ui/dist/admin/ (the worker serves it at /admin/), index.html also at the root
# (the single-page-application fallback for deep links).
set -e
cd "$(dirname "$0")/.."
RUSTC_BOOTSTRAP=1 cargo build -Zbuild-std=std,panic_abort -p burgee-admin-ui --bin burgee-admin-ui --target wasm32-unknown-unknown \
  --config 'profile.admin-ui.inherits="wasm-release"' --config 'profile.admin-ui.opt-level="z"' \
  --config 'target.wasm32-unknown-unknown.rustflags=["--cfg","erase_components","-Zunstable-options","-Cpanic=immediate-abort"]' --profile admin-ui
rm -rf admin-ui/dist && mkdir -p admin-ui/dist/admin
out=admin-ui/dist/admin
.tools/bin/wasm-bindgen --target web --no-typescript --out-dir $out --out-name burgee_admin_ui \
  target/wasm32-unknown-unknown/admin-ui/burgee-admin-ui.wasm
node_modules/.bin/wasm-opt $out/burgee_admin_ui_bg.wasm -o $out/opt.wasm -Oz --strip-debug --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling
mv $out/opt.wasm $out/burgee_admin_ui_bg.wasm
cp admin-ui/static/* $out/
cp $out/index.html admin-ui/dist/index.html
echo "wasm $(stat -c%s $out/burgee_admin_ui_bg.wasm) raw, $(gzip -9 -c $out/burgee_admin_ui_bg.wasm | wc -c) gzip"
