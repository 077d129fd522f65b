#!/usr/bin/env python3
"""Time from saving one article to the reload signal of `birge serve`, debounce included.

    python3 scripts/bench_serve.py [--articles 10000] [--edits 20] [--birge BINARY]

Generates the corpus with ../shared/tools/gen_corpus.py, serves it with --future, listens to
the server-sent events that open pages listen to, then appends a paragraph to one article
(or retitles it) and measures the time until the `reload` event arrives.
"""
import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

top = subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip()
shared = os.path.join(top, "..", "shared")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--birge", help="a birge binary to time instead of this checkout's")
    args = parser.parse_args()

    birge = args.birge
    if not birge:
        subprocess.check_call(["cargo", "build", "--release", "--quiet"], cwd=top)
        birge = os.path.join(top, "target", "release", "birge")
    tmp = tempfile.mkdtemp()
    server = None
    try:
        site = os.path.join(tmp, "site")
        subprocess.check_call([sys.executable, os.path.join(shared, "tools", "gen_corpus.py"),
                               "--articles", str(args.articles), "--seed", "1", "--out", site],
                              stdout=subprocess.DEVNULL)
        port = free_port()
        started = time.monotonic()
        server = subprocess.Popen([birge, "serve", "--root", site, "--future", "--port", str(port)],
                                  stderr=subprocess.PIPE, text=True)
        for line in server.stderr:
            if line.startswith("serving"):
                break
        print(f"initial build and start: {time.monotonic() - started:.2f} s")
        log = []
        threading.Thread(target=lambda: [log.append(l) for l in server.stderr], daemon=True).start()

        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/__birge/events")
        events = conn.getresponse()
        received = []
        arrived = threading.Event()

        def listen():
            for raw in events:
                if raw.startswith(b"event: reload"):
                    received.append(time.monotonic())
                    arrived.set()

        threading.Thread(target=listen, daemon=True).start()
        time.sleep(0.5)

        news = os.path.join(site, "content", "news")
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(news) for f in fs if f.endswith(".md") and not f.startswith("_"))
        target = files[len(files) // 2]
        timings = []
        for i in range(args.edits):
            arrived.clear()
            text = open(target, encoding="utf-8").read()
            if i % 2 == 0:
                text += f"\nAnother paragraph, edit {i}.\n"
            else:
                text = re.sub(r'^title: "(.*)"$', lambda m: f'title: "{m.group(1)} ({i})"', text, count=1, flags=re.M)
            saved = time.monotonic()
            with open(target, "w", encoding="utf-8") as f:
                f.write(text)
            if not arrived.wait(10):
                print("no reload signal within 10 s", file=sys.stderr)
                sys.exit(1)
            timings.append((received[-1] - saved) * 1000)
            time.sleep(0.3)
        timings.sort()
        print(f"save to reload signal over {len(timings)} edits (body edits and retitles alternate):")
        print(f"  median {statistics.median(timings):.0f} ms, p90 {timings[int(len(timings) * 0.9) - 1]:.0f} ms, "
              f"min {timings[0]:.0f} ms, max {timings[-1]:.0f} ms")
        print("server said:", "".join(log[-3:]).strip())
    finally:
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
