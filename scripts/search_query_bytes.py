#!/usr/bin/env python3
"""Bytes one search downloads: runs queries through Pagefind's own runtime in headless
Chromium against bundles on disk, and counts what the browser fetched.

    cargo run --release --example search_bench -- SITE --out OUT
    scripts/search_query_bytes.py OUT [--tree /kk/] [--results 10] QUERY...

Each query runs in a fresh browser (an empty cache; a file fetched twice, by the page and by
Pagefind's worker, comes from the browser's cache the second time, as from a real host, and
is counted once): the page imports the tree's
`search/pagefind/pagefind.js`, initialises it (entry, metadata, WebAssembly), searches, and
loads the data of the first N results, as the theme's search page does. A small HTTP server
serves OUT and records every path it sent; the script prints, per query, the results found,
the bytes of the runtime (JS, worker, WebAssembly), of the metadata, of the word chunks and of
the fragments, and the query's own bytes (metadata + chunks + fragments), as served (the
`.pf_*` files are gzip already).

Needs chromium (CHROMIUM, default /usr/bin/chromium).
"""

import http.server
import json
import os
import socketserver
import subprocess
import sys
import tempfile
import threading
import urllib.parse

PROBE = """<!doctype html><meta charset=utf-8><title>probe</title><pre id=out>waiting</pre>
<script type=module>
const q = new URLSearchParams(location.search);
const dir = q.get('tree') + 'search/pagefind/';
const out = document.getElementById('out');
try {
  const pf = await import(dir + 'pagefind.js');
  await pf.options({ basePath: dir, baseUrl: '/' });
  await pf.init();
  const t0 = performance.now();
  const r = await pf.search(q.get('q'));
  const shown = await Promise.all(r.results.slice(0, +q.get('n')).map(x => x.data()));
  const ms = performance.now() - t0;
  out.textContent = JSON.stringify({ count: r.results.length, ms, urls: shown.map(d => d.url) });
} catch (e) {
  out.textContent = JSON.stringify({ error: String(e) });
}
</script>"""


def main():
    args = sys.argv[1:]
    tree, results, queries = "/", 10, []
    root = args.pop(0)
    while args:
        a = args.pop(0)
        if a == "--tree":
            tree = args.pop(0)
        elif a == "--results":
            results = int(args.pop(0))
        else:
            queries.append(a)
    with open(os.path.join(root, "__probe.html"), "w") as f:
        f.write(PROBE)

    served = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=root, **kw)

        def log_message(self, *a):
            pass

        def do_GET(self):
            path = urllib.parse.urlparse(self.path).path
            served.append(path)
            super().do_GET()

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")

    print(f"{'query':32} {'found':>6} {'runtime':>9} {'meta':>8} {'chunks':>8} {'frags':>8} {'query KB':>9}")
    for query in queries:
        for attempt in range(3):
            served.clear()
            url = f"http://127.0.0.1:{port}/__probe.html?" + urllib.parse.urlencode(
                {"q": query, "tree": tree, "n": results, "attempt": attempt}
            )
            with tempfile.TemporaryDirectory() as profile:
                dom = subprocess.run(
                    [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                     "--virtual-time-budget=30000", "--dump-dom", url],
                    capture_output=True, text=True, timeout=120,
                ).stdout
            text = dom.split('<pre id="out">', 1)[-1].split("</pre>", 1)[0]
            try:
                result = json.loads(text)
                break
            except ValueError:
                # Chromium's virtual time now and then ends before the worker answers.
                result = {"error": text[:200]}
        sizes = {"runtime": 0, "meta": 0, "chunks": 0, "frags": 0}
        for path in set(served):
            file = os.path.join(root, path.lstrip("/"))
            if not os.path.isfile(file) or path.endswith("__probe.html"):
                continue
            size = os.path.getsize(file)
            kind = ("chunks" if "/index/" in path else "frags" if "/fragment/" in path
                    else "meta" if path.endswith(".pf_meta") or path.endswith("entry.json") else "runtime")
            sizes[kind] += size
        own = sizes["meta"] + sizes["chunks"] + sizes["frags"]
        if "error" in result:
            print(f"{query:32} error: {result['error']}")
            continue
        print(f"{query:32} {result['count']:6} {sizes['runtime']/1024:8.1f}K "
              f"{sizes['meta']/1024:7.1f}K {sizes['chunks']/1024:7.1f}K {sizes['frags']/1024:7.1f}K {own/1024:8.1f}K")
    server.shutdown()
    os.remove(os.path.join(root, "__probe.html"))


if __name__ == "__main__":
    main()
