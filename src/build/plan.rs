//! The plan of a run: every output file of the site with where its bytes come from (a job
//! to render, a file to copy, bytes in memory, a photo's variant) and its key, and how one
//! is produced.
//!
//! Takes the site model, the theme and the articles' derived values, gives [`Planned`]
//! outputs; [`produce`] writes one into a sink and gives the reads its rendering made.

use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::JobTimes;
use super::pipeline::Derived;
use super::search::BundleFile;
use crate::content::references::site_path_of;
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
    /// A photo of `static/` that no page shows, published at its own path without its
    /// metadata ([`images::without_metadata`]).
    Stripped(PathBuf),
}

/// One output file of a run.
pub(super) struct Planned {
    pub path: String,
    pub key: u64,
    pub source: Source,
}

/// The static photos that articles and pages show or link to (lead images, Markdown images
/// and links), by output path (`photos/a.jpg`), each with whether it is a lead image (whose
/// variants include the link-preview crop). These are published as variants, never as they
/// are; the other static files are copied.
pub(super) fn static_photos(
    theme: &Theme,
    derived: &HashMap<String, Derived>,
    site: &Site,
    page_bodies: &[markdown::Rendered],
) -> BTreeMap<String, bool> {
    use rayon::prelude::*;
    let mut photos = BTreeMap::new();
    let mut note = |path: Option<String>, lead: bool| {
        if let Some(path) = path.filter(|p| theme.static_photo(p).is_some()) {
            *photos.entry(path).or_insert(lead) |= lead;
        }
    };
    // Looked up in parallel: a large site has hundreds of thousands of references.
    let of_articles: Vec<(Option<String>, bool)> = site
        .articles
        .par_iter()
        .flat_map_iter(|article| {
            let references = derived
                .get(&article.source)
                .map_or(&[][..], |d| &d.meta.references);
            let linked = references
                .iter()
                .map(|reference| (site_path_of(&article.path, &reference.dest), false));
            std::iter::once((lead_of(&article.image), true)).chain(linked)
        })
        .filter(|(path, _)| path.is_some())
        .collect();
    for (path, lead) in of_articles {
        note(path, lead);
    }
    for (page, body) in site.pages.iter().zip(page_bodies) {
        note(lead_of(&page.image), true);
        for reference in &body.references {
            note(site_path_of(&page.path, &reference.dest), false);
        }
    }
    photos
}

/// The path of a lead image under the static folder, when it is one.
fn lead_of(image: &Option<crate::content::Image>) -> Option<String> {
    image
        .as_ref()
        .and_then(|image| image.src.strip_prefix('/').map(str::to_string))
}

/// The output files of the site: every job, the static files (the photos pages show as
/// their variants, [`static_photos`]), the highlight stylesheet when a body has code, and
/// the files of article bundles (photos as their variants).
pub(super) fn plan(
    theme: &Theme,
    derived: &HashMap<String, Derived>,
    site: &Site,
    has_code: bool,
    (root, photos): (&Path, &BTreeMap<String, bool>),
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
    let logo = site.config.publisher.logo.strip_prefix('/');
    for (rel, source) in &theme.static_files {
        if rel == SEARCH_SCRIPT && !site.config.search && !is_sites_own(source, root) {
            continue;
        }
        let photo = photos.get(rel).zip(theme.static_photo(rel));
        if let Some((&lead, from)) = photo {
            let photo = Photo {
                to: rel,
                from,
                name: crate::content::relative(root, from),
                size: theme.static_photo_sizes.get(rel).copied(),
                card: lead,
            };
            planned.extend(photo.outputs(&theme.image_widths));
            // Feeds and metadata name the publisher's logo by its own path.
            if logo != Some(rel.as_str()) {
                continue;
            }
        }
        planned.push(match source {
            StaticSource::Embedded(bytes) => bytes_output(rel, Cow::Borrowed(bytes)),
            StaticSource::File(path) if images::Format::of(rel).is_some() => {
                stripped_output(rel.clone(), path)
            }
            StaticSource::File(path) => copy_output(rel.clone(), path),
        });
    }
    if has_code {
        let css = markdown::highlight_css().into_bytes();
        planned.push(bytes_output("highlight.css", Cow::Owned(css)));
    }
    // Only articles with a folder of their own have files to copy.
    for article in site.articles.iter().filter(|a| a.bundle_dir.is_some()) {
        if let Some(derived) = derived.get(&article.source) {
            for (to, from) in &derived.bundle {
                match images::Format::of(to) {
                    Some(_) => planned
                        .extend(Photo::of_bundle(article, (to, from)).outputs(&theme.image_widths)),
                    None => planned.push(copy_output(to.clone(), from)),
                }
            }
        }
    }
    planned
}

/// The theme's search code, published only when the site has search (`search: false`
/// leaves it out, unless the site's own `static/` has a file of that name).
const SEARCH_SCRIPT: &str = "search.js";

fn is_sites_own(source: &StaticSource, root: &Path) -> bool {
    matches!(source, StaticSource::File(path) if path.starts_with(root.join("static")))
}

/// The outputs of `planned` that an alias (an article's or page's `aliases:`, a region's
/// `former:` slug) would write over: a generated page or feed, a theme or site file, a
/// published image, or another alias. Each is a problem of the file that gives the alias;
/// without it the redirect would silently replace the other output.
pub(super) fn alias_clashes(planned: &[Planned], site: &Site) -> Vec<Problem> {
    let mut first: HashMap<&str, &Planned> = HashMap::default();
    first.reserve(planned.len());
    let mut problems = Vec::new();
    for output in planned {
        let Some(earlier) = first.get(output.path.as_str()).copied() else {
            first.insert(&output.path, output);
            continue;
        };
        let (redirect, other) = match (&earlier.source, &output.source) {
            (_, Source::Job(Job::Redirect { from, to, .. })) => ((from, to), earlier),
            (Source::Job(Job::Redirect { from, to, .. }), _) => ((from, to), output),
            _ => continue,
        };
        problems.push(alias_clash(redirect, other, site));
    }
    problems
}

/// The problem of the redirect from `from` to `to` whose path is `other`'s.
fn alias_clash((from, to): (&String, &String), other: &Planned, site: &Site) -> Problem {
    let owner = |to: &str| {
        site.articles
            .iter()
            .map(|a| (&a.path, &a.source))
            .chain(site.pages.iter().map(|p| (&p.path, &p.source)))
            .find(|(path, _)| *path == to)
            .map(|(_, source)| source.as_str())
    };
    let (source, hint, from) = match owner(to) {
        Some(source) => (
            source,
            "an alias must be an old URL that no page or file uses now: remove it from `aliases:`",
            format!("alias {from}"),
        ),
        None => (
            "content/regions.yaml",
            "a former slug must be one that no page or file uses now: remove it from `former:`",
            format!("former slug's URL {from}"),
        ),
    };
    let message = match &other.source {
        Source::Job(Job::Redirect { to: other_to, .. }) => match owner(other_to) {
            Some(other_source) if other_source != source => {
                format!("{from} is an alias of {other_source} too")
            }
            Some(_) => format!("{from} is given twice"),
            None => format!("{from} is a former slug's URL in content/regions.yaml too"),
        },
        Source::Job(job) => format!(
            "{from} would replace {} ({})",
            generated(job, site),
            job.site_path(site)
        ),
        Source::Copy(_)
        | Source::Stripped(_)
        | Source::Bytes(_)
        | Source::Shared(_)
        | Source::Written => {
            format!("{from} would replace the file /{}", other.path)
        }
        Source::Image(_) => format!("{from} would replace the image /{}", other.path),
    };
    Problem::new(source, message).hint(hint)
}

/// What a generated output is, for an editor.
fn generated(job: &Job, site: &Site) -> String {
    let what = match job {
        Job::Article(i) => return format!("the page of {}", site.articles[*i].source),
        Job::Page(i) => return format!("the page of {}", site.pages[*i].source),
        Job::Front { .. } => "the front page",
        Job::Regions { .. } | Job::Region { .. } => "a region page",
        Job::RegionFeed { .. } => "a region's feed",
        Job::Archive { .. } | Job::ArchiveYear { .. } | Job::ArchiveMonth { .. } => {
            "an archive page"
        }
        Job::Tags { .. } | Job::Tag { .. } => "a tag page",
        Job::Atom { .. } | Job::Rss { .. } => "the site's feed",
        Job::NotFound { .. } => "the not-found page",
        Job::Search { .. } => "the search page",
        Job::Polls { .. } | Job::Poll { .. } => "a poll page",
        Job::PollIndex => "the polls' index",
        Job::Redirect { .. } => "a redirect",
        Job::Sitemap | Job::SitemapPart(_) => "the sitemap",
        Job::Robots => "robots.txt",
    };
    what.to_string()
}

/// A photo published as its variants.
struct Photo<'p> {
    /// Its output path, beside which its variants are.
    to: &'p str,
    /// Its file.
    from: &'p Path,
    /// Its file relative to the site root, as problems name it.
    name: String,
    /// Its upright size, when it could be read.
    size: Option<(u32, u32)>,
    /// Whether it is a lead image, which gets the link-preview crop.
    card: bool,
}

impl<'p> Photo<'p> {
    /// A photo of an article's bundle; its link-preview crop when it is the lead image.
    fn of_bundle(article: &'p crate::content::Article, (to, from): (&'p str, &'p Path)) -> Self {
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
        let card = article
            .image
            .as_ref()
            .and_then(|image| crate::content::bundle_key(&image.src))
            .is_some_and(|key| key == rel);
        Photo {
            to,
            from,
            name,
            size: article.bundle_images.get(&rel).copied(),
            card,
        }
    }

    /// Its variants' outputs. A photo whose size cannot be read gets one output whose making
    /// reports why.
    fn outputs(&self, widths: &[u32]) -> Vec<Planned> {
        let Some(format) = images::Format::of(self.to) else {
            return Vec::new();
        };
        let variants = match self.size {
            Some(size) => images::variants(format, size, widths, self.card),
            None => vec![images::Variant {
                width: 0,
                height: 0,
                format,
                crop: false,
            }],
        };
        let variants = variants.into_iter().map(|v| (v.path(self.to), v)).collect();
        variant_outputs(self.from, &self.name, variants)
    }
}

/// The outputs of `variants` (each with its output path) of the photo `from`, named `name`
/// in problems.
fn variant_outputs(
    from: &Path,
    name: &str,
    variants: Vec<(String, images::Variant)>,
) -> Vec<Planned> {
    let stamp = std::fs::metadata(from)
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    let siblings = variants.len();
    variants
        .into_iter()
        .map(|(path, variant)| Planned {
            path,
            key: hash_of(&(from, stamp, variant, images::FORMAT_VERSION)),
            source: Source::Image(images::Job {
                source: from.to_path_buf(),
                name: name.to_string(),
                variant,
                siblings,
            }),
        })
        .collect()
}

/// The outputs of the variants of photos (static ones and those of bundles) that templates
/// asked for with `resize`, but those of `planned` (a page's photo may have the same
/// variant).
pub(super) fn resized_outputs<'r>(
    (theme, derived): (&Theme, &HashMap<String, Derived>),
    root: &Path,
    asked: impl IntoIterator<Item = &'r images::Resized>,
    planned: &[Planned],
) -> Vec<Planned> {
    let asked: std::collections::BTreeSet<&images::Resized> = asked.into_iter().collect();
    if asked.is_empty() {
        return Vec::new();
    }
    let bundles: HashMap<&str, &Path> = derived
        .values()
        .flat_map(|d| &d.bundle)
        .map(|(to, from)| (to.as_str(), from.as_path()))
        .collect();
    let file_of = |source: &str| {
        theme
            .static_photo(source)
            .or_else(|| bundles.get(source).copied())
    };
    let taken: std::collections::HashSet<&str> = planned.iter().map(|p| p.path.as_str()).collect();
    let mut by_source: BTreeMap<&str, Vec<(String, images::Variant)>> = BTreeMap::new();
    for resized in asked {
        let path = resized.path();
        if !taken.contains(path.as_str()) {
            by_source
                .entry(&resized.source)
                .or_default()
                .push((path, resized.variant));
        }
    }
    by_source
        .into_iter()
        .filter_map(|(source, variants)| {
            let from = file_of(source)?;
            let name = crate::content::relative(root, from);
            Some(variant_outputs(from, &name, variants))
        })
        .flatten()
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
                    renderer.render_resized(job)
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
        // `birge check` writes nothing: the file is not read for bytes it would throw away.
        Source::Stripped(_) if sink.discards() => Ok(Vec::new()),
        Source::Stripped(from) => {
            let bytes = std::fs::read(from).map_err(|e| failed(e.into()))?;
            let stripped = images::Format::of(&planned.path)
                .and_then(|format| images::without_metadata(format, &bytes));
            sink.write(&planned.path, stripped.as_deref().unwrap_or(&bytes))
                .map_err(failed)
                .map(|()| Vec::new())
        }
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
fn stripped_output(path: String, from: &Path) -> Planned {
    let copy = copy_output(path, from);
    Planned {
        key: hash_of(&("without metadata", copy.key)),
        source: Source::Stripped(from.to_path_buf()),
        ..copy
    }
}

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
