//! The web interface tested as a person uses it: a real headless Chromium drives the real
//! server (started in-process on a loopback port with a temp data folder and real data).
//!
//! A separate test binary from `tests/it` (the API tests): it needs an outside program
//! (Chromium + ChromeDriver from Debian, axe-core from npm), runs one long scenario in order
//! (each step builds on the previous: the reply goes into the conversation the test opened),
//! and keeps the API tests runnable on a machine without a browser.
//!
//! Screenshots of the main pages land in `target/screenshots/` (not committed).

mod driver;
mod scenario;
mod server;
