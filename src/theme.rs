//! Themes: Tera templates, static files and interface strings, from the built-in `birge`
//! theme or a site's `themes/<name>/`, with the site's own `templates/` and `static/` on top.
//!
//! Takes the site root and the theme's name, gives a [`Theme`] whose templates and files are
//! already resolved by name (the site's override wins), or the problem that stopped it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use serde::Deserialize;

use crate::diagnostics::Problem;

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/birge");

/// Templates that every theme gets from the built-in one unless it has its own.
pub const BUILTIN_FEEDS: &[&str] = &["atom.xml", "rss.xml", "sitemap.xml"];

/// The name of the theme built into the binary.
pub const BUILTIN_NAME: &str = "birge";

/// A template's text and where it came from.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// The name templates use for it, e.g. `partials/poll.html`.
    pub name: String,
    /// Its text.
    pub text: String,
    /// Where it came from, for problems: `templates/x.html`, `themes/birge/templates/x.html`.
    pub origin: String,
}

/// Where a static file's bytes come from.
#[derive(Debug, Clone)]
pub enum StaticSource {
    /// Built into the binary.
    Embedded(&'static [u8]),
    /// A file of the site or its theme folder.
    File(PathBuf),
}

/// A resolved theme.
#[derive(Debug, Clone)]
pub struct Theme {
    /// Templates by name, the site's overrides applied.
    pub templates: BTreeMap<String, TemplateSource>,
    /// Static files by output path (`style.css`), the site's overrides applied.
    pub static_files: BTreeMap<String, StaticSource>,
    /// Interface strings: language -> key -> text.
    pub strings: HashMap<String, HashMap<String, String>>,
    /// The widths of the variants of every photo (`image_widths`, default
    /// [`crate::images::DEFAULT_WIDTHS`]), narrowest first.
    pub image_widths: Vec<u32>,
    /// The upright sizes of the photos among the static files of the site and its theme
    /// folder (JPEG, PNG and WebP files; see [`Theme::static_photo`]), by output path; a
    /// photo whose size cannot be read is left out.
    pub static_photo_sizes: Arc<BTreeMap<String, (u32, u32)>>,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
struct ThemeMeta {
    strings: HashMap<String, HashMap<String, String>>,
    image_widths: Vec<u32>,
}

impl Default for ThemeMeta {
    fn default() -> Self {
        ThemeMeta {
            strings: HashMap::new(),
            image_widths: crate::images::DEFAULT_WIDTHS.to_vec(),
        }
    }
}

impl Theme {
    /// Loads the theme `name` for the site at `root`.
    pub fn load(root: &Path, name: &str) -> Result<Theme, Problem> {
        let folder = root.join("themes").join(name);
        let mut theme = if folder.is_dir() {
            Theme::from_folder(root, &folder)?
        } else if name == BUILTIN_NAME {
            Theme::builtin()?
        } else {
            return Err(
                Problem::new("site.yaml", format!("there is no theme `{name}`")).hint(format!(
                    "themes are folders under themes/; the built-in one is `{BUILTIN_NAME}`"
                )),
            );
        };
        theme.add_site_overrides(root)?;
        theme.static_photo_sizes = Arc::new(
            theme
                .static_files
                .keys()
                .filter_map(|rel| {
                    let path = theme.static_photo(rel)?;
                    Some((rel.clone(), crate::content::image_file_size(path, rel)?))
                })
                .collect(),
        );
        Ok(theme)
    }

    /// The file of the static photo published at `rel` (`photos/a.jpg`): a JPEG, PNG or WebP
    /// file of the site's or the theme folder's `static/`, which a page that shows it
    /// publishes as resized variants. `None` for other files and for the built-in theme's
    /// own images (its logo), which are copied as they are.
    pub fn static_photo(&self, rel: &str) -> Option<&Path> {
        crate::images::Format::of(rel)?;
        match self.static_files.get(rel)? {
            StaticSource::File(path) => Some(path),
            StaticSource::Embedded(_) => None,
        }
    }

    /// The theme built into the binary, with no site overrides.
    pub fn builtin() -> Result<Theme, Problem> {
        let mut templates = BTreeMap::new();
        let mut static_files = BTreeMap::new();
        let mut meta = ThemeMeta::default();
        for file in all_files(&BUILTIN) {
            let path = file.path().to_string_lossy().replace('\\', "/");
            if let Some(name) = path.strip_prefix("templates/") {
                let text = String::from_utf8_lossy(file.contents()).into_owned();
                templates.insert(
                    name.to_string(),
                    TemplateSource {
                        name: name.to_string(),
                        text,
                        origin: format!("(built-in theme) templates/{name}"),
                    },
                );
            } else if let Some(name) = path.strip_prefix("static/") {
                static_files.insert(name.to_string(), StaticSource::Embedded(file.contents()));
            } else if path == "theme.yaml" {
                meta = parse_meta(
                    "(built-in theme) theme.yaml",
                    &String::from_utf8_lossy(file.contents()),
                )?;
            }
        }
        Ok(Theme {
            templates,
            static_files,
            strings: meta.strings,
            image_widths: meta.image_widths,
            static_photo_sizes: Arc::default(),
        })
    }

    fn from_folder(root: &Path, folder: &Path) -> Result<Theme, Problem> {
        let mut theme = Theme {
            templates: BTreeMap::new(),
            static_files: BTreeMap::new(),
            strings: HashMap::new(),
            image_widths: crate::images::DEFAULT_WIDTHS.to_vec(),
            static_photo_sizes: Arc::default(),
        };
        let meta_path = folder.join("theme.yaml");
        if meta_path.exists() {
            let origin = crate::content::relative(root, &meta_path);
            let text = std::fs::read_to_string(&meta_path)
                .map_err(|e| Problem::new(&origin, format!("cannot read: {e}")))?;
            let meta = parse_meta(&origin, &text)?;
            theme.strings = meta.strings;
            theme.image_widths = meta.image_widths;
        }
        theme.add_templates(root, &folder.join("templates"))?;
        theme.add_static(&folder.join("static"));
        theme.add_builtin_feeds()?;
        Ok(theme)
    }

    /// Feeds and the sitemap have built-in templates that a theme may override.
    fn add_builtin_feeds(&mut self) -> Result<(), Problem> {
        let builtin = Theme::builtin()?;
        for name in BUILTIN_FEEDS {
            if !self.templates.contains_key(*name)
                && let Some(template) = builtin.templates.get(*name)
            {
                self.templates.insert(name.to_string(), template.clone());
            }
        }
        Ok(())
    }

    fn add_site_overrides(&mut self, root: &Path) -> Result<(), Problem> {
        self.add_templates(root, &root.join("templates"))?;
        self.add_static(&root.join("static"));
        Ok(())
    }

    fn add_templates(&mut self, root: &Path, dir: &Path) -> Result<(), Problem> {
        for (name, path) in files_under(dir) {
            let origin = crate::content::relative(root, &path);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Problem::new(&origin, format!("cannot read this template: {e}")))?;
            self.templates
                .insert(name.clone(), TemplateSource { name, text, origin });
        }
        Ok(())
    }

    fn add_static(&mut self, dir: &Path) {
        for (name, path) in files_under(dir) {
            self.static_files.insert(name, StaticSource::File(path));
        }
    }

    /// An interface string in `lang`, else in English, else the key itself.
    pub fn string<'a>(&'a self, lang: &str, key: &'a str) -> &'a str {
        self.strings
            .get(lang)
            .and_then(|s| s.get(key))
            .or_else(|| self.strings.get("en").and_then(|s| s.get(key)))
            .map_or(key, String::as_str)
    }
}

fn parse_meta(origin: &str, text: &str) -> Result<ThemeMeta, Problem> {
    let mut meta: ThemeMeta = crate::yaml::parse(text)
        .map_err(|e| Problem::new(origin, e.message).at_opt(e.line.zip(e.column)))?;
    let (least, most) = IMAGE_WIDTHS;
    if meta.image_widths.is_empty()
        || meta
            .image_widths
            .iter()
            .any(|w| !(least..=most).contains(w))
    {
        return Err(Problem::new(
            origin,
            format!("`image_widths` must list widths from {least} to {most} pixels"),
        )
        .hint("for example `image_widths: [480, 960, 1600]`"));
    }
    meta.image_widths.sort_unstable();
    meta.image_widths.dedup();
    Ok(meta)
}

/// The narrowest and widest `image_widths` a theme may ask for.
const IMAGE_WIDTHS: (u32, u32) = (16, 8192);

fn all_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut out: Vec<_> = dir.files().collect();
    for sub in dir.dirs() {
        out.extend(all_files(sub));
    }
    out
}

/// Files under `dir` by their `/`-separated path relative to it; hidden and backup files left out.
fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            let name = e.file_name().to_string_lossy();
            !name.starts_with('.') && !name.ends_with('~')
        })
        .map(|e| (crate::content::relative(dir, e.path()), e.into_path()))
        .collect()
}

/// Writes the built-in theme to `root/themes/birge/`, refusing to overwrite an existing one.
pub fn eject(root: &Path) -> anyhow::Result<PathBuf> {
    let target = root.join("themes").join(BUILTIN_NAME);
    if target.exists() {
        anyhow::bail!(
            "{} already exists; move it away first to eject a fresh copy of the built-in theme",
            target.display()
        );
    }
    for file in all_files(&BUILTIN) {
        crate::fs::write(&target.join(file.path()), file.contents())?;
    }
    Ok(target)
}
