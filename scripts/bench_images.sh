#!/usr/bin/env bash
# Photo benchmark: COUNT phone photos of WIDTHxHEIGHT (default 200 of 4000x3000), one per
# article bundle, published with all their variants (widths 480, 960 and 1600 in JPEG and
# WebP, and the 1200x630 crop of the lead image) by birge, and by Hugo through
# `.Resize`/`.Fill` in a template doing the same resizes; then the rebuild with the photos
# unchanged. Also the bytes a phone downloads for the sample site's front page.
#
#   bash scripts/bench_images.sh [COUNT] [WIDTH] [HEIGHT]
#
# BIRGE=PATH times that binary instead of a fresh release build; PHOTOS=DIR takes the
# photos from DIR instead of generating them.
#
# The photos are generated once (examples/photos: drawn scenes with grain, EXIF orientation
# and GPS, every other one stored sideways). Every timed build writes into a fresh output
# folder; "cold" means no cache of variants (birge's .birge-cache/, Hugo's resources/_gen/).
# Wall time and peak RSS come from GNU time.
set -euo pipefail

count=${1:-200}
width=${2:-4000}
height=${3:-3000}
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
if [ -z "${BIRGE:-}" ]; then
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin birge --example photos
fi
birge=${BIRGE:-$target/release/birge}

if [ -n "${PHOTOS:-}" ]; then
    # PHOTOS=DIR: photo-NNN.jpg files made beforehand (e.g. a few drawn ones, each copied
    # with its camera serial changed, so that every file is distinct for both tools' caches).
    mkdir -p "$tmp/photos"
    cp "$PHOTOS"/photo-*.jpg "$tmp/photos/"
    count=$(find "$tmp/photos" -name 'photo-*.jpg' | wc -l)
else
    echo "generating $count photos of ${width}x${height}..."
    "$target/release/examples/photos" "$tmp/photos" "$count" "$width" "$height"
fi
du -sh "$tmp/photos" | awk '{print "photos: " $1}'

# The birge site: one bundle an article, the photo its lead image.
b="$tmp/birge-site"
mkdir -p "$b/content"
printf 'title: Photos\nbase_url: https://example.kz\nlanguage: en\nlanguages: [en]\ntimezone: Asia/Almaty\nsearch: false\n' >"$b/site.yaml"
printf -- '- slug: atyrau\n  name: {en: Atyrau Region}\n' >"$b/content/regions.yaml"
# The Hugo site: the same bundles; its article template makes the same variants.
h="$tmp/hugo-site"
mkdir -p "$h/content/news" "$h/layouts/_default"
printf 'baseURL = "https://example.kz/"\ntitle = "Photos"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT"]\n[imaging]\nquality = 80\nresampleFilter = "Lanczos"\n' >"$h/hugo.toml"
cat >"$h/layouts/_default/single.html" <<'EOF'
{{- $photo := .Resources.GetMatch "photo.jpg" -}}
<h1>{{ .Title }}</h1>
<picture>
{{- range slice 480 960 1600 }}
{{- $jpg := $photo.Resize (printf "%dx jpg q80" .) }}
{{- $webp := $photo.Resize (printf "%dx webp q75" .) }}
<source type="image/webp" srcset="{{ $webp.RelPermalink }} {{ . }}w">
<img src="{{ $jpg.RelPermalink }}" width="{{ $jpg.Width }}" height="{{ $jpg.Height }}" alt="">
{{- end }}
</picture>
{{- $card := $photo.Fill "1200x630 Center jpg q80" }}
<meta property="og:image" content="{{ $card.Permalink }}">
EOF
printf '<ul>{{ range .Site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>\n' >"$h/layouts/_default/list.html"
for i in $(seq 0 $((count - 1))); do
    n=$(printf '%03d' "$i")
    mkdir -p "$b/content/news/p-$n" "$h/content/news/p-$n"
    printf -- '---\ntitle: Photo %s\ndate: 2020-03-20\nregion: atyrau\nimage: photo.jpg\nimage_alt: Volunteers\n---\nVolunteers sewed masks.\n' "$n" >"$b/content/news/p-$n/index.md"
    printf -- '---\ntitle: Photo %s\ndate: 2020-03-20\n---\nVolunteers sewed masks.\n' "$n" >"$h/content/news/p-$n/index.md"
    ln "$tmp/photos/photo-$n.jpg" "$b/content/news/p-$n/photo.jpg"
    ln "$tmp/photos/photo-$n.jpg" "$h/content/news/p-$n/photo.jpg"
done

timed() { # NAME COMMAND...: prints the wall time and peak memory of one run
    local name=$1
    shift
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/log" 2>&1 || {
        cat "$tmp/log"
        exit 1
    }
    read -r secs kb <"$tmp/time"
    printf '%-44s %8.2f s %6d MB\n' "$name" "$secs" $((kb / 1024))
}

echo
timed "birge, cold (no cached variants)" "$birge" build --quiet --root "$b" --output "$tmp/out-birge-1"
BIRGE_TIMINGS=1 "$birge" build --root "$b" --output "$tmp/out-birge-1" 2>&1 | grep 'timing: images' || true
timed "birge, rebuild, photos unchanged" "$birge" build --quiet --root "$b" --output "$tmp/out-birge-1"
timed "birge --no-cache, fresh output (encodes all)" "$birge" build --quiet --no-cache --root "$b" --output "$tmp/out-birge-2"
timed "birge, fresh output, variants from the cache" "$birge" build --quiet --root "$b" --output "$tmp/out-birge-3"
BIRGE_TIMINGS=1 "$birge" build --root "$b" --output "$tmp/out-birge-4" 2>&1 | grep 'timing: images' || true
printf 'variants in the fresh output built from the cache: %s\n' \
    "$(find "$tmp/out-birge-3/news" -name '*w.*' -o -name '*-card.*' | wc -l)"
timed "hugo, cold (no resources/_gen)" hugo --quiet --source "$h" --destination "$tmp/out-hugo-1"
timed "hugo, fresh output, cached resources" hugo --quiet --source "$h" --destination "$tmp/out-hugo-2"
echo
printf 'variants: birge %s files, %s; hugo %s files, %s\n' \
    "$(find "$tmp/out-birge-1/news" -name '*w.*' -o -name '*-card.*' | wc -l)" \
    "$(du -sh "$tmp/out-birge-1/news" | cut -f1)" \
    "$(find "$tmp/out-hugo-1/news" -name '*.jpg' -o -name '*.webp' | wc -l)" \
    "$(du -sh "$tmp/out-hugo-1/news" | cut -f1)"

# What a phone (a 390 CSS px wide screen at 3x) downloads for the sample front page's
# images: each card's pick from its srcset by its sizes, against the source photos that
# were published as they are before birge made variants.
echo
"$birge" build --quiet --root "$repo" --output "$tmp/out-sample"
python3 - "$tmp/out-sample" "$repo" <<'EOF'
import html.parser, os, re, sys

out, repo = sys.argv[1], sys.argv[2]
viewport, dpr = 390, 3


class Cards(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.in_card, self.picks = False, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "card-image" in (a.get("class") or ""):
            self.in_card, self.source = True, None
        elif self.in_card and tag == "source" and a.get("type") == "image/webp":
            self.source = a
        elif self.in_card and tag == "img":
            self.picks.append((self.source or a, a["src"]))
            self.in_card = False


def pick(srcset, sizes):
    # The width the image shows at on this screen, by the first matching `sizes` entry.
    shown = viewport
    for entry in sizes.split(","):
        entry = entry.strip()
        m = re.match(r"\(min-width:\s*([\d.]+)rem\)\s*([\d.]+)(rem|vw)", entry)
        if m:
            if viewport >= float(m.group(1)) * 16:
                shown = float(m.group(2)) * (16 if m.group(3) == "rem" else viewport / 100)
                break
        elif entry.endswith("vw"):
            shown = float(entry[:-2]) * viewport / 100
            break
    candidates = sorted((int(w[:-1]), url) for url, w in (c.split() for c in srcset.split(", ")))
    for w, url in candidates:
        if w >= shown * dpr:
            return url
    return candidates[-1][1]


def local(url):
    return os.path.join(out, re.sub(r"^https?://[^/]+/", "", url).lstrip("/"))


def slugify(title):
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


sources = {}
for root, _, files in os.walk(os.path.join(repo, "content", "news")):
    if "index.md" in files:
        text = open(os.path.join(root, "index.md"), encoding="utf-8").read()
        title = re.search(r"^title: *(.*)$", text, re.M).group(1).strip().strip("'\"")
        image = re.search(r"^image: *(.*)$", text, re.M)
        if image:
            sources[slugify(title.replace('""', '"'))] = os.path.join(root, image.group(1).strip())

page = os.path.join(out, "index.html")
cards = Cards()
cards.feed(open(page, encoding="utf-8").read())
after = before = 0
for chosen, src in cards.picks:
    path = local(pick(chosen["srcset"], chosen["sizes"])) if "srcset" in chosen else local(src)
    after += os.path.getsize(path)
    # Before: the editor's file, published as it was given; its bundle is the one whose
    # title gives the page's slug.
    before += os.path.getsize(sources[os.path.basename(os.path.dirname(local(src)))])
html_bytes = os.path.getsize(page)
print(f"sample front page on a phone ({viewport} px at {dpr}x): {len(cards.picks)} card images")
print(f"  images before (the files as given): {before / 1024:.0f} KB")
print(f"  images after (the srcset pick):     {after / 1024:.0f} KB")
print(f"  the page's HTML:                    {html_bytes / 1024:.0f} KB")
EOF
