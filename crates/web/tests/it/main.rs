//! Integration tests of the server: the real app on port 0 with a temp data dir, driven
//! over HTTP with reqwest. Modules by feature.

#![allow(dead_code)] // the harness offers more than each module uses

mod accounts;
mod api;
mod escalation;
mod harness;
mod routes;
mod workflow;
mod xss;
