//! The HTML pages whose views need more than a list: an article with its neighbours, more
//! from its regions and its poll; a standalone page; archive years and months; tags.
//!
//! Takes the [`Renderer`]'s shared views, gives page bytes.

use serde::Serialize;
use tera::Value;

use super::reads::ListId;
use super::scope::Scope;
use super::views;
use crate::diagnostics::Problem;
use crate::markdown::poll_marker;

impl Scope<'_, '_> {
    pub(super) fn article(&self, index: usize) -> Result<Vec<u8>, Problem> {
        let site = self.site;
        let article = &site.articles[index];
        let body = self.body(index);
        let tree = self.tree_of_lang(&article.lang);
        let mut shown: Vec<&str> = body.polls.iter().map(String::as_str).collect();
        shown.extend(article.poll.as_deref());
        let mut cx = self.context(tree, &article.path, "article", &shown);
        let content = self.with_poll_widgets(&body.html, &body.polls, tree, &article.path)?;
        cx.insert_value("article", self.with_content(index, &content));
        let neighbours = self.neighbours(index);
        let pick = |i: Option<usize>| i.map_or_else(Value::none, |i| self.article_view(i));
        cx.insert_value("previous", pick(neighbours.older));
        cx.insert_value("next", pick(neighbours.newer));
        let more: Vec<Value> = article
            .regions
            .iter()
            .filter_map(|slug| site.regions.iter().position(|r| &r.slug == slug))
            .filter_map(|r| {
                let others = self.more_from(index, r);
                if others.is_empty() {
                    return None;
                }
                let mut entry = tera::Map::new();
                entry.insert("region".into(), self.region(tree, r));
                entry.insert("articles".into(), self.article_views(&others));
                Some(Value::from(entry))
            })
            .collect();
        cx.insert_value("more_from", Value::from(more));
        let poll = article
            .poll
            .as_deref()
            .and_then(|id| site.polls.iter().position(|p| p.id == id));
        cx.insert_value(
            "poll",
            poll.map_or_else(Value::none, |p| self.poll_view(tree, p)),
        );
        self.render_template("article.html", &cx)
    }

    /// Replaces poll shortcode markers in rendered Markdown by the widget partial, each
    /// placement its own (`inline-1`, `inline-2`, ... in the order of the text), so a poll
    /// placed twice gets two forms whose ids differ.
    pub(super) fn with_poll_widgets(
        &self,
        html: &str,
        polls: &[String],
        tree: usize,
        page_path: &str,
    ) -> Result<String, Problem> {
        let mut out = html.to_string();
        for (n, id) in polls.iter().enumerate() {
            let Some(p) = self.site.polls.iter().position(|p| &p.id == id) else {
                continue;
            };
            let mut cx = self.context(tree, page_path, "partial", &[]);
            cx.insert_value("poll", self.poll_view(tree, p));
            cx.insert("placement", &format!("inline-{}", n + 1));
            let widget = String::from_utf8(self.render_template("partials/poll.html", &cx)?)
                .unwrap_or_default();
            out = out.replacen(&poll_marker(id), &widget, 1);
        }
        Ok(out)
    }

    pub(super) fn page(&self, index: usize) -> Result<Vec<u8>, Problem> {
        let page = &self.site.pages[index];
        let body = self.page_body(index);
        let tree = self.tree_of_lang(&page.lang);
        let shown: Vec<&str> = body.polls.iter().map(String::as_str).collect();
        let mut cx = self.context(tree, &page.path, "page", &shown);
        let content = self.with_poll_widgets(&body.html, &body.polls, tree, &page.path)?;
        #[derive(Serialize)]
        struct PageView<'p> {
            title: &'p str,
            url: &'p str,
            permalink: String,
            content: &'p str,
            summary: &'p str,
            summary_text: String,
            lang: &'p str,
            date: Option<String>,
            updated: Option<String>,
            image: Option<views::ImageView<'p>>,
            draft: bool,
            extra: &'p serde_json::Value,
        }
        let written = page.summary.as_deref().map(crate::markdown::render_snippet);
        let summary = written.as_deref().unwrap_or(&body.summary);
        cx.insert(
            "page",
            &PageView {
                title: &page.title,
                url: &page.path,
                permalink: views::permalink(self.site, &page.path),
                content: &content,
                summary,
                summary_text: crate::html::plain_text(summary),
                lang: &page.lang,
                date: page.date.as_ref().map(crate::dates::rfc3339),
                updated: page.updated.as_ref().map(crate::dates::rfc3339),
                image: page
                    .image
                    .as_ref()
                    .map(|image| views::page_image_view(image, self.site, self.theme)),
                draft: page.draft,
                extra: &page.extra,
            },
        );
        self.render_template("page.html", &cx)
    }

    pub(super) fn year_view(
        &self,
        tree: usize,
        year: &crate::site::Year,
        with_articles: bool,
    ) -> Value {
        let root = &self.site.trees[tree].root;
        let mut map = tera::Map::new();
        map.insert("year".into(), Value::from(year.year as i64));
        let url = format!("{root}archive/{}/", year.year);
        map.insert(
            "permalink".into(),
            Value::from(views::permalink(self.site, &url)),
        );
        map.insert("url".into(), Value::from(url));
        map.insert("count".into(), Value::from(year.count()));
        let months: Vec<Value> = year
            .months
            .iter()
            .map(|m| self.month_view(tree, year.year, m, with_articles))
            .collect();
        map.insert("months".into(), Value::from(months));
        Value::from(map)
    }

    pub(super) fn month_view(
        &self,
        tree: usize,
        year: i16,
        month: &crate::site::Month,
        with_articles: bool,
    ) -> Value {
        let t = &self.site.trees[tree];
        let mut map = tera::Map::new();
        map.insert("year".into(), Value::from(year as i64));
        map.insert("month".into(), Value::from(month.month as i64));
        map.insert(
            "name".into(),
            Value::from(crate::dates::month_name(month.month, &t.lang)),
        );
        map.insert(
            "title".into(),
            Value::from(crate::dates::month_year(year, month.month, &t.lang)),
        );
        map.insert(
            "year_url".into(),
            Value::from(crate::routes::archive_year(&t.root, year)),
        );
        let url = format!("{}archive/{year}/{:02}/", t.root, month.month);
        map.insert(
            "permalink".into(),
            Value::from(views::permalink(self.site, &url)),
        );
        map.insert("url".into(), Value::from(url));
        map.insert("count".into(), Value::from(month.articles.len()));
        if with_articles {
            let list = ListId::Month(tree, year, month.month);
            map.insert("articles".into(), self.items(list, 0..usize::MAX));
        }
        Value::from(map)
    }

    pub(super) fn tag_view(&self, tree: usize, tag: &crate::site::Tag) -> Value {
        let root = &self.site.trees[tree].root;
        let url = format!("{root}tags/{}/", tag.slug);
        Value::from_serializable(&views::TagView {
            name: &tag.name,
            slug: tag.slug.clone(),
            permalink: views::permalink(self.site, &url),
            url,
            count: tag.articles.len(),
        })
    }
}
