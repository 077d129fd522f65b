// birge search page: runs the query of ?q= through the tree's Pagefind bundle and shows the
// results. Loaded by search.html only. The results list ([data-search-results]) carries the
// bundle's path relative to the page (data-bundle), the site's root URL (data-base-url), the
// tree's language (data-lang) and the texts to show (data-t-*); it gets data-state="done" once
// results or "no results" are shown, and data-ms-load / data-ms-search: the milliseconds that
// loading Pagefind and the index took, then the search and its results' data.
//
// Kazakh is searched by its folded key (fold below, a port of src/search/fold.rs: keep the two
// in step; tests/it/search_fold.rs runs both over the same words), and its snippets are cut from
// the first half of the fragment's text, which holds the original words (src/search/records.rs).
(function () {
  "use strict";

  var LATIN = {
    "а": "a", "ә": "a", "ä": "a", "á": "a",
    "г": "g", "ғ": "g", "ğ": "g", "ǵ": "g",
    "е": "e", "э": "e", "ё": "e",
    "ж": "j",
    "и": "i", "й": "i", "і": "i", "ı": "i", "ï": "i",
    "к": "k", "қ": "k", "q": "k",
    "н": "n", "ң": "n", "ñ": "n", "ń": "n",
    "о": "o", "ө": "o", "ö": "o", "ó": "o",
    "у": "u", "ұ": "u", "ү": "u", "ū": "u", "ü": "u", "ú": "u",
    "х": "h", "һ": "h",
    "ч": "c", "ç": "c",
    "ш": "s", "щ": "s", "ş": "s",
    "ы": "y",
    "ъ": "", "ь": "",
    "б": "b", "в": "v", "д": "d", "з": "z", "л": "l", "м": "m", "п": "p", "р": "r",
    "с": "s", "т": "t", "ф": "f", "ц": "ts", "ю": "yu", "я": "ya",
    "є": "e", "ї": "i", "ґ": "g", "ў": "u", "ҳ": "h", "җ": "j",
    "à": "a", "â": "a", "ã": "a", "å": "a", "ā": "a",
    "é": "e", "è": "e", "ê": "e", "ë": "e", "ē": "e", "ė": "e", "ę": "e",
    "í": "i", "ì": "i", "î": "i", "ī": "i", "į": "i",
    "ò": "o", "ô": "o", "õ": "o", "ō": "o", "ø": "o",
    "ù": "u", "û": "u", "ů": "u", "ý": "u", "ÿ": "y",
    "ć": "c", "č": "c", "ś": "s", "š": "s", "ž": "j", "ź": "z", "ż": "z",
    "ł": "l", "ň": "n", "ř": "r", "ß": "ss"
  };
  var WORD = /[\p{L}\p{N}\u0300-\u036f]/u;
  var MARK = /[\u0300-\u036f]/;

  // Appends Latin letter c to out, whose current word starts at start; collapses zh, kh, ch, sh.
  function pushLatin(out, start, c) {
    if (c !== "h") {
      out.push(c === "q" ? "k" : c);
      return;
    }
    for (;;) {
      var previous = out.length > start ? out[out.length - 1] : null;
      if (previous === "c" || previous === "s") return;
      if (previous === "z") {
        out[out.length - 1] = "j";
        return;
      }
      if (previous === "k") {
        out.pop();
        continue;
      }
      out.push("h");
      return;
    }
  }

  // The folded key of Kazakh text in either script (DESIGN.md, "Search").
  function fold(text) {
    var out = [];
    var start = 0;
    for (var ch of text) {
      if (!WORD.test(ch)) {
        out.push(ch);
        start = out.length;
        continue;
      }
      for (var lower of ch.toLowerCase()) {
        var latin = LATIN[lower];
        if (latin !== undefined) {
          for (var l of latin) pushLatin(out, start, l);
        } else if (!MARK.test(lower)) {
          pushLatin(out, start, lower);
        }
      }
    }
    return out.join("");
  }

  // Words that find nearly every page: left out of a query unless it is quoted or made of
  // them alone, so that a query loads only the index its real words need.
  var STOP = {
    en: "a an and are as at be by for from has in is it of on or that the to was were with",
    ru: "а в во и к на не о об от по с со у за из для что как это то же ли",
    kk: "және мен бен пен да де та те ол бұл үшін туралы"
  };

  function withoutStopWords(lang, query) {
    if (/"/.test(query) || !STOP[lang]) return query;
    var stop = STOP[lang].split(" ");
    if (lang === "kk") stop = stop.map(fold);
    var words = query.split(/\s+/).filter(Boolean);
    var kept = words.filter(function (w) {
      return stop.indexOf(w.toLowerCase()) < 0;
    });
    return (kept.length ? kept : words).join(" ");
  }

  // The snippet of a result: about 30 of the page's own words around its first match, the
  // matched words in <mark>. Kazakh pages are indexed as their words and then their keys, one
  // for one (word_count counts both), and the fragment's text holds the words alone.
  function snippet(data, lang) {
    var tokens = data.content.split(" ");
    var locations = data.locations.slice();
    if (lang === "kk") {
      var half = Math.floor(data.word_count / 2);
      tokens = tokens.slice(0, half);
      locations = locations.map(function (l) {
        return l >= half ? l - half : l;
      });
    }
    var marked = {};
    locations.forEach(function (l) {
      marked[l] = true;
    });
    var first = locations.length ? Math.min.apply(null, locations) : 0;
    var from = Math.max(0, Math.min(first - 8, tokens.length - 30));
    var to = Math.min(tokens.length, from + 30);
    var p = document.createElement("p");
    p.className = "search-snippet";
    if (from > 0) p.appendChild(document.createTextNode("… "));
    for (var i = from; i < to; i++) {
      if (i > from) p.appendChild(document.createTextNode(" "));
      if (marked[i]) {
        var mark = document.createElement("mark");
        mark.textContent = tokens[i];
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(tokens[i]));
      }
    }
    if (to < tokens.length) p.appendChild(document.createTextNode(" …"));
    return p;
  }

  function result(data, lang) {
    var li = document.createElement("li");
    li.className = "search-result";
    var h = document.createElement("h2");
    var a = document.createElement("a");
    a.href = data.url;
    a.textContent = data.meta.title || data.url;
    h.appendChild(a);
    li.appendChild(h);
    if (data.meta.date || data.meta.region) {
      var meta = document.createElement("p");
      meta.className = "search-meta";
      if (data.meta.date) {
        var time = document.createElement("span");
        time.className = "search-date";
        time.textContent = data.meta.date;
        meta.appendChild(time);
      }
      if (data.meta.date && data.meta.region) meta.appendChild(document.createTextNode(" · "));
      if (data.meta.region) {
        var region = document.createElement("span");
        region.className = "search-region";
        region.textContent = data.meta.region;
        meta.appendChild(region);
      }
      li.appendChild(meta);
    }
    li.appendChild(snippet(data, lang));
    return li;
  }

  async function run(list, status, query) {
    var t = function (key, n) {
      return (list.getAttribute("data-t-" + key) || "").replace("{n}", n);
    };
    var lang = list.getAttribute("data-lang");
    var terms = withoutStopWords(lang, lang === "kk" ? fold(query) : query);
    status.textContent = t("searching");
    var shown = [];
    var total = 0;
    var started = performance.now();
    var searched = started;
    try {
      var dir = new URL(list.getAttribute("data-bundle"), document.baseURI).href;
      var pagefind = await import(dir + "pagefind.js");
      await pagefind.options({
        basePath: dir,
        baseUrl: list.getAttribute("data-base-url") || "/",
        ranking: { metaWeights: { title: 5, title_key: 5, region: 2, region_key: 2, tags: 2, tags_key: 2 } }
      });
      await pagefind.init();
      searched = performance.now();
      var found = await pagefind.search(terms);
      total = found.results.length;
      shown = await Promise.all(found.results.slice(0, 10).map(function (r) {
        return r.data();
      }));
    } catch (e) {
      // An empty tree has no index: Pagefind's init rejects, and that is "no results".
      total = 0;
    }
    list.replaceChildren.apply(list, shown.map(function (d) {
      return result(d, lang);
    }));
    status.textContent = total === 0 ? t("none", 0) : total === 1 ? t("one", 1) : t("many", total);
    // How long loading the runtime and the index took, and then the search and its results.
    list.setAttribute("data-ms-load", Math.round(searched - started));
    list.setAttribute("data-ms-search", Math.round(performance.now() - searched));
    list.setAttribute("data-state", "done");
  }

  function start() {
    var list = document.querySelector("[data-search-results]");
    if (!list) return;
    var status = document.querySelector("[data-search-status]") || list;
    var query = (new URLSearchParams(location.search).get("q") || "").trim();
    var input = document.querySelector("[data-search-input]");
    if (input) input.value = query;
    if (query) run(list, status, query);
  }

  if (typeof document !== "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  }
  if (typeof module !== "undefined") module.exports = { fold: fold, withoutStopWords: withoutStopWords };
})();
