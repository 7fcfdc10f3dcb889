//! burgee-admin-ui: the Leptos admin app, served by the edge worker at `/admin/`.
//!
//! It runs burgee-core in the browser, so the validation shown while editing, "evaluate as"
//! and the change preview are exactly what the store and the edge will do. Code map:
//! [`state`] holds the domain state as plain structs (tested natively), [`api`] the typed calls
//! to the control plane, [`app`] the router and shared context, [`editor`] the one lifecycle of
//! the flag and segment editors, and `components/` one component per file.

pub mod api;
pub mod app;
pub mod components;
pub mod context;
pub mod editor;
pub mod lens;
pub mod state;

/// The time evaluations use: now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// Mounts the app on `<body>` (the binary's whole `main`). There is no panic hook in the
/// shipped build: it is built with `-Cpanic=immediate-abort` (xtask/src/admin_ui.rs), so a
/// panic is a bare trap; the `panic-hook` feature (`BURGEE_ADMIN_DEBUG=1`) logs it instead.
pub fn start() {
    #[cfg(target_arch = "wasm32")]
    {
        #[cfg(feature = "panic-hook")]
        std::panic::set_hook(Box::new(|info| leptos::logging::error!("panic: {info}")));
        leptos::mount::mount_to_body(app::App);
    }
}
