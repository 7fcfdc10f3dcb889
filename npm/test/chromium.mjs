// How every browser test starts Chromium: the system's (Debian's package, which `cargo xtask`
// installs when /usr/bin/chromium is missing), with these flags; the tests never download a
// browser of their own. Without the background-networking flags Chromium keeps trying hosts this
// machine cannot reach.
export const CHROMIUM = "/usr/bin/chromium";
export const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
