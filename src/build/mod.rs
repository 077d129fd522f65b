//! The build: load, assemble, render Markdown, render outputs, write, as named stages of
//! one [`Pipeline`] that `birge build`, `birge check` and `birge serve` all run.
//!
//! Takes [`BuildOptions`], gives a [`BuildReport`] once the new output is in place, or every
//! [`Problems`] found (the previous output left untouched). [`check`] runs the same pipeline
//! into a sink that keeps nothing; `serve` keeps the pipeline and updates it in memory.
//! [`prepare`] loads and checks everything (the stages before rendering), `bodies` renders
//! Markdown and checks the files it points at, [`pipeline`] renders and writes.

mod bodies;
pub mod cache;
mod mapped;
pub mod pipeline;
mod plan;
mod search;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::config::Config;
use crate::content::{self, LeftOut, LoadOptions};
use crate::diagnostics::{Problem, Problems, count};
use crate::markdown::{self, Rendered};
use crate::output::in_place::InPlace;
use crate::output::{self, Committed, Discard, Staging};
use crate::render;
use crate::site::Site;
use crate::theme::Theme;
pub use bodies::MarkdownScope;
use bodies::{check_references, render_bodies, render_pages};
pub use cache::CacheDamaged;
pub use pipeline::{Due, Pipeline, Resumed, Run};

/// The journal of an incremental build's writes, in the build cache's folder.
const JOURNAL: &str = "journal";

/// What to build and how.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The site's folder.
    pub root: PathBuf,
    /// Where the output goes; default `<root>/public`.
    pub output: Option<PathBuf>,
    /// Include drafts.
    pub drafts: bool,
    /// Include articles dated in the future.
    pub future: bool,
    /// Replaces `base_url` of site.yaml.
    pub base_url: Option<String>,
    /// Show a progress bar and notes (the cache set aside): `false` with `--quiet`.
    pub progress: bool,
    /// The present, for tests; default the clock.
    pub now: Option<jiff::Timestamp>,
    /// Keep and use the build cache (`.birge-cache/`): an update of the output from the files
    /// changed since the last build instead of a full build.
    pub cache: bool,
    /// Keep encoded photo variants in `.birge-cache/images/`, keyed by their source's bytes
    /// and the settings, so an unchanged photo is never encoded twice (`birge build` without
    /// `--no-cache`, and `birge serve`, whose full rebuilds would otherwise encode every photo).
    pub image_cache: bool,
}

/// What a finished build did.
#[derive(Debug)]
pub struct BuildReport {
    /// HTML pages rendered (feeds, redirects and copied files not counted).
    pub pages: usize,
    /// Articles published.
    pub articles: usize,
    /// All files in the output.
    pub files: usize,
    /// Files whose bytes were unchanged and kept.
    pub kept: usize,
    /// Wall time from start to swap.
    pub elapsed: Duration,
    /// What the build left out and why, as [`left_out_line`] says it.
    pub left_out: Option<String>,
    committed: Option<Committed>,
}

impl BuildReport {
    fn finished(mut self, started: Instant) -> Self {
        self.elapsed = started.elapsed();
        self
    }

    /// The summary: `built 41 pages from 12 articles in 0.08 s`, followed by a line saying
    /// what was left out and why when anything was.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "built {} from {} in {:.2} s",
            count(self.pages, "page", "pages"),
            count(self.articles, "article", "articles"),
            self.elapsed.as_secs_f64()
        );
        if let Some(line) = &self.left_out {
            out.push('\n');
            out.push_str(line);
        }
        out
    }

    /// Removes the previous output tree (after the summary line is out).
    pub fn cleanup(&mut self) -> Result<()> {
        match self.committed.take() {
            Some(c) => c.cleanup(),
            None => Ok(()),
        }
    }
}

/// Everything a build knows before it writes.
pub struct Prepared {
    /// The site model.
    pub site: Site,
    /// Each article's rendered Markdown.
    pub bodies: Vec<Rendered>,
    /// Each page's rendered Markdown.
    pub page_bodies: Vec<Rendered>,
    /// The theme.
    pub theme: Theme,
    /// The compiled templates.
    pub tera: tera::Tera,
    /// Poll results known at build time (from `polls.database`, when it exists).
    pub results: crate::render::views::Results,
    /// The build's present.
    pub now: jiff::Timestamp,
}

/// Loads, checks and renders the Markdown of the site; every problem found is returned.
pub fn prepare(options: &BuildOptions) -> Result<Prepared, Problems> {
    let now = options.now.unwrap_or_else(jiff::Timestamp::now);
    let mut config = Config::load(&options.root)?;
    if let Some(base_url) = &options.base_url {
        config.base_url = base_url.trim_end_matches('/').to_string();
    }
    let load_options = LoadOptions {
        drafts: options.drafts,
        future: options.future,
        now,
    };
    let timer = Timer::start();
    let (content, mut problems) = content::load(&options.root, &config, &load_options);
    timer.lap("load");
    let unloaded_polls = content::unloaded_polls(&options.root, &content.polls);
    check_featured_poll(&config, &content, &unloaded_polls, &mut problems);
    let theme = Theme::load(&options.root, &config.theme).map_err(|p| Problems(vec![p]));
    let tera = theme
        .as_ref()
        .ok()
        .map(|theme| render::compile(theme, &config.base_url, config.safe_html));
    timer.lap("templates");
    // Articles sharing a URL are reported with what the rest of the checks find.
    let (site, clashes) = Site::assemble_with_clashes(config, content);
    problems.extend(clashes);
    timer.lap("assemble");
    let (theme, tera) = match (theme, tera) {
        (Ok(theme), Some(Ok(tera))) => (theme, tera),
        (theme, tera) => {
            problems.extend(theme.err().into_iter().flatten());
            problems.extend(tera.and_then(Result::err).into_iter().flatten());
            return Err(problems.sorted());
        }
    };
    let scope = MarkdownScope::new(&site)
        .with_unloaded_polls(&unloaded_polls)
        .with_failed_files(&problems.0)
        .with_images(&theme);
    let all: Vec<usize> = (0..site.articles.len()).collect();
    let mut bodies = Vec::with_capacity(all.len());
    for (body, found) in render_bodies(&scope, &site, &all, &Default::default()) {
        problems.extend(found);
        bodies.push(body);
    }
    let page_bodies = render_pages(&scope, &site, &mut problems);
    problems.extend(scope.failed_bodies(&options.root));
    timer.lap("markdown");
    let references: Vec<&[markdown::Reference]> =
        bodies.iter().map(|b| b.references.as_slice()).collect();
    check_references(
        &options.root,
        &site,
        &theme,
        (&references, &page_bodies),
        &mut problems,
    );
    timer.lap("references");
    let results = read_poll_results(&options.root, &site.config, &mut problems);
    if !problems.is_empty() {
        return Err(problems.sorted());
    }
    Ok(Prepared {
        site,
        bodies,
        page_bodies,
        theme,
        tera,
        results,
        now,
    })
}

/// What a build left out and why, when it left out anything:
/// `left out: 2 drafts, 1 dated in the future (next: content/news/x.md on 2026-12-01 09:00)`.
/// Times are in the site's timezone.
pub fn left_out_line(left_out: &LeftOut, timezone: &jiff::tz::TimeZone) -> Option<String> {
    let mut parts = Vec::new();
    if !left_out.drafts.is_empty() {
        parts.push(count(left_out.drafts.len(), "draft", "drafts"));
    }
    if let Some((source, at)) = left_out.next_scheduled() {
        let when = at
            .to_zoned_datetime(timezone.clone())
            .strftime("%Y-%m-%d %H:%M");
        parts.push(format!(
            "{} dated in the future (next: {source} on {when})",
            left_out.future.len()
        ));
    }
    (!parts.is_empty()).then(|| format!("left out: {}", parts.join(", ")))
}

/// Prints how long each stage took when `BIRGE_TIMINGS` is set.
pub struct Timer {
    last: std::cell::Cell<Instant>,
    enabled: bool,
}

impl Timer {
    /// Starts timing.
    pub fn start() -> Timer {
        Timer {
            last: std::cell::Cell::new(Instant::now()),
            enabled: std::env::var_os("BIRGE_TIMINGS").is_some(),
        }
    }

    /// Prints the time since the last lap under `name`, with the memory in use and the
    /// peak so far where the system tells them.
    pub fn lap(&self, name: &str) {
        if self.enabled {
            let now = Instant::now();
            eprintln!(
                "timing: {name:<10} {:>8.1} ms{}",
                (now - self.last.get()).as_secs_f64() * 1000.0,
                memory_in_use()
            );
            self.last.set(now);
        }
    }
}

/// `  (rss N MB, peak M MB)` from `/proc/self/status`, or nothing where it cannot be read.
fn memory_in_use() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let megabytes = |key: &str| -> Option<u64> {
        let line = status.lines().find(|line| line.starts_with(key))?;
        let kilobytes: u64 = line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kilobytes / 1024)
    };
    match (megabytes("VmRSS:"), megabytes("VmHWM:")) {
        (Some(rss), Some(peak)) => format!("  (rss {rss} MB, peak {peak} MB)"),
        _ => String::new(),
    }
}

/// Time spent per kind of job, printed with the stage timings when `BIRGE_TIMINGS` is set.
pub(super) struct JobTimes {
    enabled: bool,
    render: [AtomicU64; render::Job::KINDS.len()],
    write: [AtomicU64; render::Job::KINDS.len()],
    count: [AtomicU64; render::Job::KINDS.len()],
}

impl JobTimes {
    pub(super) fn new() -> Self {
        JobTimes {
            enabled: std::env::var_os("BIRGE_TIMINGS").is_some(),
            render: Default::default(),
            write: Default::default(),
            count: Default::default(),
        }
    }

    /// Runs `f`, adding its time to the job's kind under `render` or `write`.
    pub(super) fn time<T>(&self, job: &render::Job, writing: bool, f: impl FnOnce() -> T) -> T {
        if !self.enabled {
            return f();
        }
        let started = Instant::now();
        let out = f();
        let nanos = started.elapsed().as_nanos() as u64;
        let kind = render::Job::KINDS
            .iter()
            .position(|k| *k == job.kind())
            .unwrap_or_default();
        let slot = if writing { &self.write } else { &self.render };
        slot[kind].fetch_add(nanos, Ordering::Relaxed);
        if !writing {
            self.count[kind].fetch_add(1, Ordering::Relaxed);
        }
        out
    }

    /// Prints one line per kind of job, the costliest first (CPU time over all threads).
    pub(super) fn print(&self) {
        if !self.enabled {
            return;
        }
        let load = |a: &[AtomicU64], k: usize| a[k].load(Ordering::Relaxed);
        let mut kinds: Vec<usize> = (0..render::Job::KINDS.len())
            .filter(|&k| load(&self.count, k) > 0)
            .collect();
        kinds.sort_by_key(|&k| std::cmp::Reverse(load(&self.render, k) + load(&self.write, k)));
        for k in kinds {
            let (n, r, w) = (
                load(&self.count, k),
                load(&self.render, k),
                load(&self.write, k),
            );
            eprintln!(
                "timing:   {:<12} {n:>6} jobs  render {:>8.1} ms ({:>6.1} µs each)  write {:>8.1} ms ({:>6.1} µs each)",
                render::Job::KINDS[k],
                r as f64 / 1e6,
                r as f64 / 1e3 / n as f64,
                w as f64 / 1e6,
                w as f64 / 1e3 / n as f64,
            );
        }
    }
}

/// Results to bake into widgets: the store or export named by `polls.database`, when it exists.
pub(super) fn read_poll_results(
    root: &Path,
    config: &Config,
    problems: &mut Problems,
) -> crate::render::views::Results {
    let path = root.join(&config.polls.database);
    if !path.is_file() {
        return Default::default();
    }
    crate::polls::read_results(&path).unwrap_or_else(|error| {
        problems.push(
            Problem::new(config.polls.database.clone(), format!("cannot read poll results: {error:#}"))
                .hint("`polls.database` names the vote service's SQLite file or a `birge polls export` JSON file"),
        );
        Default::default()
    })
}

fn check_featured_poll(
    config: &Config,
    content: &content::Content,
    unloaded_polls: &[String],
    problems: &mut Problems,
) {
    // A poll file that failed to load has its own problems reported already.
    if let Some(id) = &config.polls.featured
        && !content.polls.iter().any(|p| &p.id == id)
        && !unloaded_polls.contains(id)
    {
        problems.push(
            Problem::new(
                crate::config::CONFIG_FILE,
                format!("the featured poll `{id}` does not exist"),
            )
            .hint(format!(
                "polls are the files in content/polls/; there is no content/polls/{id}.yaml"
            )),
        );
    }
}

/// Builds the site into its output folder: from the build cache when it has one that fits
/// (only what changed is rendered and written, in place), else everything into a staging
/// folder swapped in whole.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    let started = Instant::now();
    // One spelling of every path whatever folder birge runs in: the build cache keeps
    // paths, and a build from the site's folder must find what one with `--root` kept.
    let absolute = BuildOptions {
        root: std::path::absolute(&options.root).unwrap_or_else(|_| options.root.clone()),
        ..options.clone()
    };
    let options = &absolute;
    // Before anything is written: a mistyped --root must not become a folder.
    if !options.root.join(crate::config::CONFIG_FILE).is_file() {
        Config::load(&options.root)?;
    }
    let output = output_folder(options)?;
    let journal = cache::dir(&options.root).join(JOURNAL);
    output::in_place::recover(&output, &journal)?;
    if !options.cache {
        let absolute_output = std::path::absolute(&output).unwrap_or_else(|_| output.clone());
        cache::forget_state_of(&cache::dir(&options.root), &absolute_output)?;
    } else {
        match Pipeline::resume(options, &output) {
            Resumed::Ready(pipeline, changed, stamps) => {
                match build_incrementally(*pipeline, &changed, stamps, &output, &journal) {
                    Ok(report) => return Ok(report.finished(started)),
                    Err(error) if error.is::<CacheDamaged>() => {
                        note(options, &format!("{error:#}; building everything"));
                    }
                    Err(error) => return Err(error),
                }
            }
            Resumed::SetAside(reason) => {
                note(
                    options,
                    &format!("the build cache is set aside ({reason}); building everything"),
                );
            }
            Resumed::Nothing => {}
        }
    }
    build_everything(options, &output).map(|report| report.finished(started))
}

/// Builds everything into a staging folder and swaps it in; keeps the build cache when asked.
fn build_everything(options: &BuildOptions, output: &Path) -> Result<BuildReport> {
    let stamps = options.cache.then(|| cache::stamps(&options.root));
    let staging = Staging::create(output)?;
    let (mut pipeline, run) = match Pipeline::start(options, &staging, options.cache) {
        Ok(started) => started,
        Err(error) => {
            staging.discard();
            return Err(error);
        }
    };
    let timer = Timer::start();
    let committed = staging.commit()?;
    timer.lap("swap");
    if let Some(stamps) = stamps {
        keep_cache(&mut pipeline, output, stamps);
        timer.lap("cache");
    }
    let left_out = left_out_line(pipeline.left_out(), &pipeline.config().timezone);
    drop_aside(pipeline);
    Ok(BuildReport {
        pages: run.pages,
        articles: run.articles,
        files: run.files,
        kept: committed.kept,
        elapsed: Duration::ZERO,
        left_out,
        committed: Some(committed),
    })
}

/// Updates the output in place from the files changed since the cached build.
fn build_incrementally(
    mut pipeline: Pipeline,
    changed: &[PathBuf],
    stamps: pipeline::Stamps,
    output: &Path,
    journal: &Path,
) -> Result<BuildReport> {
    let sink = InPlace::begin(output, journal)?;
    let run = match pipeline.update(&sink, changed) {
        Ok(run) => run,
        Err(error) => {
            sink.discard();
            return Err(error);
        }
    };
    let timer = Timer::start();
    let kept = sink.commit()?;
    timer.lap("write");
    // Nothing read again and nothing rendered: the cache already says all there is.
    if !changed.is_empty() || run.rendered > 0 {
        keep_cache(&mut pipeline, output, stamps);
        timer.lap("cache");
    }
    let left_out = left_out_line(pipeline.left_out(), &pipeline.config().timezone);
    drop_aside(pipeline);
    Ok(BuildReport {
        pages: run.pages,
        articles: run.articles,
        files: run.files,
        kept: run.files - run.rendered + kept,
        elapsed: Duration::ZERO,
        left_out,
        committed: None,
    })
}

/// Frees a pipeline on a thread of its own: `birge build` exits without waiting for it
/// (freeing the hundreds of thousands of values of a large site's pipeline cost a one-edit
/// build a tenth of a second), and a longer-lived caller gets its memory back all the same.
fn drop_aside(pipeline: Pipeline) {
    // Should no thread start, the pipeline is dropped here with the closure.
    let _ = std::thread::Builder::new()
        .name("birge-drop".to_string())
        .spawn(move || drop(pipeline));
}

/// Writes the build cache; a cache that cannot be written costs the next build time, not
/// this build its success.
fn keep_cache(pipeline: &mut Pipeline, output: &Path, stamps: pipeline::Stamps) {
    if let Err(error) = pipeline.save(output, stamps) {
        let text = format!("the build cache could not be written: {error:#}");
        note(&pipeline.options, &text);
    }
}

/// A note on stderr, unless the build is quiet.
fn note(options: &BuildOptions, text: &str) {
    if options.progress {
        eprintln!("note: {text}");
    }
}

/// What `birge check` found in a site without problems.
#[derive(Debug)]
pub struct CheckReport {
    /// Articles checked.
    pub articles: usize,
    /// Standalone pages checked.
    pub pages: usize,
    /// What was left out and why, as [`left_out_line`] says it.
    pub left_out: Option<String>,
}

impl CheckReport {
    /// `checked 12 articles and 1 page: no problems found`, followed by what was left out.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "checked {} and {}: no problems found",
            count(self.articles, "article", "articles"),
            count(self.pages, "page", "pages"),
        );
        if let Some(line) = &self.left_out {
            out.push('\n');
            out.push_str(line);
        }
        out
    }
}

/// Checks content, templates and links, rendering every page without writing any.
pub fn check(options: &BuildOptions) -> Result<CheckReport, Problems> {
    let (pipeline, run) =
        Pipeline::start(options, &Discard, false).map_err(|error| match error.downcast() {
            Ok(problems) => problems,
            Err(other) => Problems(vec![Problem::new("", format!("{other:#}"))]),
        })?;
    Ok(CheckReport {
        articles: run.articles,
        pages: pipeline.page_count(),
        left_out: left_out_line(pipeline.left_out(), &pipeline.config().timezone),
    })
}

/// The output folder, refused when it would swallow the site itself or its content.
fn output_folder(options: &BuildOptions) -> Result<PathBuf> {
    let output = options
        .output
        .clone()
        .unwrap_or_else(|| options.root.join("public"));
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (out, root) = (absolute(&output), absolute(&options.root));
    if root.starts_with(&out) {
        bail!(
            "the output folder {} would replace the site itself; choose a folder inside or beside it",
            output.display()
        );
    }
    if out.starts_with(root.join("content")) {
        bail!(
            "the output folder {} is inside content/; birge never writes there",
            output.display()
        );
    }
    Ok(output)
}

pub(super) fn progress_bar(wanted: bool, len: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !wanted || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} rendering {pos}/{len} {wide_bar}")
    {
        bar.set_style(style);
    }
    bar
}
