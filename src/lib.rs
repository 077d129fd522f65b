//! birge turns Markdown news items with YAML front matter into a static news site.
//!
//! The build is a pipeline, one module per stage, each depending only on those below it:
//! - [`config`] reads `site.yaml`; [`content`] walks `content/` into front matter and bodies;
//! - [`site`] assembles the model: articles in order, regions, tags, archive, pagination;
//! - [`markdown`] renders bodies and summaries, [`render`] turns the model into pages through Tera;
//! - [`output`] writes them into a staging folder and swaps it in atomically.
//!
//! [`build`] runs these stages in order; [`cli`] is the thin command-line layer over them.
//! Beneath every stage lie small shared modules: [`html`] escapes text (the one escaper),
//! [`fs`], [`yaml`], [`dates`], [`slug`] and [`diagnostics`].

pub mod build;
pub mod cli;
pub mod config;
pub mod content;
pub mod dates;
pub mod diagnostics;
pub mod fs;
pub mod html;
pub mod images;
pub mod json_text;
pub mod localized;
pub mod markdown;
pub mod output;
pub mod polls;
pub mod render;
pub mod routes;
pub mod search;
pub mod serve;
pub mod site;
pub mod slug;
pub mod theme;
pub mod yaml;
