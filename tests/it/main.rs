//! The integration tests: one binary, fixture sites built with the real `birge` binary.

mod build;
mod cache;
mod commands;
mod differential;
mod editor;
mod errors;
mod faults;
mod hints;
mod hostile;
mod http;
mod images;
mod left_out;
mod odd;
mod pg;
mod poll_languages;
mod polls;
mod props;
mod references;
mod search;
mod serve;
mod serve_local;
mod util;
mod web;
