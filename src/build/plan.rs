//! The plan of a run: every output file of the site with where its bytes come from (a job
//! to render, a file to copy, bytes in memory, a photo's variant) and its key, and how one
//! is produced.
//!
//! Takes the site model, the theme and the articles' derived values, gives [`Planned`]
//! outputs; [`produce`] writes one into a sink and gives the reads its rendering made.

use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::JobTimes;
use super::pipeline::Derived;
use super::search::BundleFile;
use crate::diagnostics::Problem;
use crate::images::{self, Encoder};
use crate::markdown;
use crate::output::Sink;
use crate::render::reads::hash_of;
use crate::render::{self, Job, Read, Renderer};
use crate::site::Site;
use crate::theme::{StaticSource, Theme};

/// Where an output file's bytes come from.
pub(super) enum Source {
    Job(Job),
    Copy(PathBuf),
    Bytes(Cow<'static, [u8]>),
    /// Bytes shared with the stage that made them (a search bundle's files).
    Shared(Arc<Vec<u8>>),
    /// A file an earlier run wrote, whose bytes this one does not have: current by its key.
    Written,
    /// A variant of a photo, made by the run's [`Encoder`].
    Image(images::Job),
}

/// One output file of a run.
pub(super) struct Planned {
    pub path: String,
    pub key: u64,
    pub source: Source,
}

/// The output files of the site: every job, the static files, the highlight stylesheet
/// when a body has code, and the files of article bundles (photos as their variants).
pub(super) fn plan(
    theme: &Theme,
    derived: &HashMap<String, Derived>,
    site: &Site,
    has_code: bool,
) -> Vec<Planned> {
    use rayon::prelude::*;
    // Paths and keys made in parallel: a large site has hundreds of thousands.
    let mut planned: Vec<Planned> = render::jobs(site)
        .into_par_iter()
        .map(|job| Planned {
            path: render::output_path(&job.site_path(site)),
            key: job.key(),
            source: Source::Job(job),
        })
        .collect();
    for (rel, source) in &theme.static_files {
        planned.push(match source {
            StaticSource::Embedded(bytes) => bytes_output(rel, Cow::Borrowed(bytes)),
            StaticSource::File(path) => copy_output(rel.clone(), path),
        });
    }
    if has_code {
        let css = markdown::highlight_css().into_bytes();
        planned.push(bytes_output("highlight.css", Cow::Owned(css)));
    }
    for article in &site.articles {
        if let Some(derived) = derived.get(&article.source) {
            for (to, from) in &derived.bundle {
                match images::Format::of(to) {
                    Some(format) => planned.extend(variant_outputs(
                        article,
                        (to, from),
                        format,
                        &theme.image_widths,
                    )),
                    None => planned.push(copy_output(to.clone(), from)),
                }
            }
        }
    }
    planned
}

/// The variants of a photo of an article's bundle (its link-preview crop too when it is the
/// lead image). A photo whose size cannot be read gets one output whose making reports why.
fn variant_outputs(
    article: &crate::content::Article,
    (to, from): (&str, &Path),
    format: images::Format,
    widths: &[u32],
) -> Vec<Planned> {
    let rel = article
        .bundle_dir
        .as_deref()
        .and_then(|dir| from.strip_prefix(dir).ok())
        .map(|rel| rel.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let name = match article.source.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/{rel}"),
        None => rel.clone(),
    };
    let lead = article
        .image
        .as_ref()
        .and_then(|image| crate::content::bundle_key(&image.src))
        .is_some_and(|key| key == rel);
    let variants = match article.bundle_images.get(&rel) {
        Some(&size) => images::variants(format, size, widths, lead),
        None => vec![images::Variant {
            width: 0,
            height: 0,
            format,
            crop: false,
        }],
    };
    let stamp = std::fs::metadata(from)
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    let siblings = variants.len();
    variants
        .into_iter()
        .map(|variant| Planned {
            path: variant.path(to),
            key: hash_of(&(from, stamp, variant, images::FORMAT_VERSION)),
            source: Source::Image(images::Job {
                source: from.to_path_buf(),
                name: name.clone(),
                variant,
                siblings,
            }),
        })
        .collect()
}

/// Writes one output into `sink`; gives its reads with their versions when recording.
pub(super) fn produce(
    planned: &Planned,
    renderer: &Renderer,
    sink: &dyn Sink,
    record: bool,
    (times, encoder): (&JobTimes, &Encoder),
) -> Result<Vec<(Read, u64)>, Problem> {
    let failed = |e: anyhow::Error| Problem::new(planned.path.clone(), format!("{e:#}"));
    match &planned.source {
        Source::Job(job) => {
            let (file, reads) = times.time(job, false, || {
                if record {
                    renderer.render_recorded(job)
                } else {
                    renderer.render(job).map(|file| (file, Vec::new()))
                }
            })?;
            times
                .time(job, true, || sink.write(&planned.path, &file.bytes))
                .map_err(failed)?;
            Ok(reads
                .into_iter()
                .map(|read| {
                    let version = renderer.version(&read);
                    (read, version)
                })
                .collect())
        }
        Source::Copy(from) => sink
            .copy(&planned.path, from)
            .map_err(failed)
            .map(|()| Vec::new()),
        Source::Bytes(bytes) => sink
            .write(&planned.path, bytes)
            .map_err(failed)
            .map(|()| Vec::new()),
        Source::Shared(bytes) => sink
            .write(&planned.path, bytes)
            .map_err(failed)
            .map(|()| Vec::new()),
        Source::Written => Err(failed(anyhow::anyhow!(
            "the build cache lost this file's bytes: build again with --no-cache"
        ))),
        Source::Image(job) if sink.discards() => encoder.check(job).map(|()| Vec::new()),
        Source::Image(job) => {
            let bytes = encoder.bytes(job)?;
            sink.write(&planned.path, &bytes)
                .map_err(failed)
                .map(|()| Vec::new())
        }
    }
}

impl Planned {
    /// A search bundle's file.
    pub(super) fn search_file(file: &BundleFile) -> Planned {
        Planned {
            path: file.path.clone(),
            key: file.key,
            source: file
                .bytes
                .as_ref()
                .map_or(Source::Written, |bytes| Source::Shared(Arc::clone(bytes))),
        }
    }
}

/// An output whose bytes are in memory; its key is their hash.
fn bytes_output(path: &str, bytes: Cow<'static, [u8]>) -> Planned {
    Planned {
        path: path.to_string(),
        key: hash_of(&*bytes),
        source: Source::Bytes(bytes),
    }
}

/// An output copied from a file; its key is the file's path, size and modification time.
fn copy_output(path: String, from: &Path) -> Planned {
    let stamp = std::fs::metadata(from)
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    Planned {
        path,
        key: hash_of(&(from, stamp)),
        source: Source::Copy(from.to_path_buf()),
    }
}
