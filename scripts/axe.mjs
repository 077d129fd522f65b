// Accessibility checks of a built birge site, served over HTTP: axe-core in Debian's
// headless Chromium (through playwright-core; no browser is downloaded), plus the
// checks axe cannot make: the skip link first and visible on focus, a visible focus
// outline on every tab stop, and a print layout without navigation that keeps the article.
//
//   node scripts/axe.mjs http://127.0.0.1:8000/ [site-path ...]
//   node scripts/axe.mjs --serve public http://127.0.0.1:8000/ [site-path ...]
//
// With --serve, the script serves that folder itself on the base URL's port (build it
// with `birge build --base-url` set to the same URL), so no other server is needed.
//
// Without site paths it checks the front page, the first article on it, an article in
// another language (found through the translations links), an article with a lead image,
// a region page, the archive (index and a month), the featured poll's page, the 404 page
// and two search pages with their results shown, each at a desktop and a phone width. Exits 1 on any
// violation.

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const argv = process.argv.slice(2);
let served = null;
if (argv[0] === '--serve') {
  served = resolve(argv[1]);
  argv.splice(0, 2);
}
const base = (argv[0] || 'http://127.0.0.1:8000/').replace(/\/?$/, '/');
const explicit = argv.slice(1);
const server = served ? await serve(served, new URL(base)) : null;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const args = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const viewports = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
];

const browser = await chromium.launch({ executablePath, args, headless: true });
let problems = 0;
const fail = (where, message) => {
  problems += 1;
  console.log(`FAIL ${where}: ${message}`);
};

try {
  const context = await browser.newContext();
  // Nothing but the site itself may be loaded: count requests to other origins.
  const origin = new URL(base).origin;
  const foreign = new Set();
  context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('about:')) {
      foreign.add(url);
    }
  });

  const paths = explicit.length ? explicit : await discover(context);
  for (const path of paths) {
    for (const vp of viewports) {
      const page = await context.newPage();
      await page.setViewportSize({ width: vp.width, height: vp.height });
      const url = new URL(path.replace(/^\//, ''), base).href;
      const where = `${path} (${vp.name})`;
      const response = await page.goto(url, { waitUntil: 'load' });
      if (!response || response.status() !== 200) {
        fail(where, `HTTP ${response ? response.status() : 'no response'}`);
        await page.close();
        continue;
      }
      if (path.includes('/search/')) {
        // A search page is checked with its results shown.
        await page.waitForSelector('[data-search-results][data-state="done"]', { state: 'attached', timeout: 15000 });
      }
      const result = await new AxeBuilder({ page }).analyze();
      for (const v of result.violations) {
        for (const node of v.nodes) {
          fail(where, `${v.id} (${v.impact}): ${v.help}\n    at ${node.target.join(' ')}\n    ${node.failureSummary.replace(/\n/g, '\n    ')}`);
        }
      }
      if (vp.name === 'desktop') {
        await keyboard(page, where);
        await print(page, where);
      }
      let count = result.violations.reduce((n, v) => n + v.nodes.length, 0);
      // Text that a scrolling strip (the region navigation) clips is "incomplete" for axe's
      // contrast rule: unclip the strips and check the contrast of that text again.
      const clipped = result.incomplete.some((v) => v.id === 'color-contrast'
        && v.nodes.some((n) => /obscured|overflow|outside/i.test(JSON.stringify(n.any))));
      let incomplete = result.incomplete;
      if (clipped) {
        await page.evaluate(() => {
          for (const el of document.querySelectorAll('body *')) {
            const s = getComputedStyle(el);
            if (['auto', 'scroll', 'hidden'].includes(s.overflowX) && el.scrollWidth > el.clientWidth
              && !el.classList.contains('visually-hidden')) {
              el.style.setProperty('overflow', 'visible', 'important');
              el.style.setProperty('flex-wrap', 'wrap', 'important');
              el.style.setProperty('white-space', 'normal', 'important');
            }
          }
        });
        const again = await new AxeBuilder({ page }).withRules(['color-contrast']).analyze();
        for (const v of again.violations) {
          for (const node of v.nodes) {
            fail(where, `${v.id} (${v.impact}, unclipped): ${v.help}\n    at ${node.target.join(' ')}\n    ${node.failureSummary.replace(/\n/g, '\n    ')}`);
            count += 1;
          }
        }
        incomplete = [...result.incomplete.filter((v) => v.id !== 'color-contrast'), ...again.incomplete];
        await page.reload({ waitUntil: 'load' });
      }
      // What axe still could not decide (text of arrows and other symbols, for one) is
      // shown for a human to look at, not failed.
      const review = incomplete.map((v) => `${v.id} x${v.nodes.length}`).join(', ');
      console.log(`${count ? 'FAIL' : 'ok  '} ${where}: ${result.passes.length} rules passed, ${count} violations${review ? `; to review: ${review}` : ''}`);
      await page.close();
    }
  }
  for (const url of foreign) {
    fail('third-party request', url);
  }
} finally {
  await browser.close();
  if (server) server.close();
}

console.log(problems ? `axe: ${problems} problems` : 'axe: no violations');
process.exit(problems ? 1 : 0);

// The pages to check, found by following the sample site's own links.
async function discover(context) {
  const page = await context.newPage();
  await page.goto(base, { waitUntil: 'load' });
  const pick = async (selector) => {
    const href = await page.$eval(selector, (a) => a.getAttribute('href')).catch(() => null);
    return href ? new URL(href, base).pathname : null;
  };
  const article = await pick('.card-title a');
  const region = await pick('.card-regions a');
  const withImage = await pick('.card:has(.card-image) .card-title a');
  const poll = await pick('.widget-poll a.poll-link:not([rel~="nofollow"])');
  const month = await (async () => {
    await page.goto(new URL('archive/', base).href);
    return pick('.archive-months a');
  })();
  // An article whose language differs from its tree's, if the site has one: the
  // translations link of an article leads to one in another language.
  let other = null;
  await page.goto(base);
  const articles = await page.$$eval('.card-title a', (as) => as.map((a) => a.getAttribute('href')));
  for (const href of articles) {
    await page.goto(new URL(href, base).href);
    other = await pick('.article-translations a');
    if (other) break;
  }
  await page.close();
  const found = ['/', article, withImage, other, region, '/archive/', month, poll, '/404.html',
    '/search/?q=volunteers', '/kk/search/?q=eriktileri'];
  return [...new Set(found.filter(Boolean))];
}

// Tab through the page: the skip link comes first and shows itself, every focused
// element has a visible outline (or box shadow), and the skip link moves focus to main.
async function keyboard(page, where) {
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => {
    const el = document.activeElement;
    const box = el.getBoundingClientRect();
    return {
      cls: el.className,
      href: el.getAttribute('href'),
      visible: box.bottom > 0 && box.top < innerHeight && box.width > 1 && box.height > 1,
    };
  });
  if (!String(first.cls).includes('skip-link') || first.href !== '#main') {
    fail(where, `the first tab stop is not the skip link (got ${JSON.stringify(first)})`);
  } else if (!first.visible) {
    fail(where, 'the skip link stays off screen when focused');
  }
  for (let i = 0; i < 40; i++) {
    const state = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
      const shadow = s.boxShadow && s.boxShadow !== 'none';
      return { ok: outline || shadow, what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).split(' ').join('.') : ''}` };
    });
    if (state && !state.ok) {
      fail(where, `no visible focus indicator on ${state.what}`);
    }
    await page.keyboard.press('Tab');
  }
  // Following the skip link puts focus into main.
  await page.keyboard.press('Shift+Tab');
  await page.evaluate(() => document.querySelector('.skip-link').focus());
  await page.keyboard.press('Enter');
  const inMain = await page.evaluate(() => !!document.activeElement.closest('main'));
  if (!inMain) {
    fail(where, 'the skip link does not move focus to main');
  }
}

// A small static file server for the built site: index.html for folders, 404.html for
// what is missing, nothing outside the folder.
async function serve(root, url) {
  const types = {
    '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
    '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif',
    '.xml': 'application/xml', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8',
  };
  const server = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url, url).pathname);
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      const body = await readFile(join(root, '404.html')).catch(() => 'not found');
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
    }
  });
  await new Promise((ok, bad) => {
    server.once('error', bad);
    server.listen(Number(url.port) || 80, url.hostname, ok);
  });
  return server;
}

// The print stylesheet: navigation, sidebar and footer are gone, the main content stays.
async function print(page, where) {
  await page.emulateMedia({ media: 'print' });
  const state = await page.evaluate(() => {
    const shown = (el) => !!el && getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0;
    const dropped = ['.skip-link', '.main-nav', '.region-nav', '.lang-nav', '.sidebar', '.site-footer', '.pager', '.article-nav']
      .filter((s) => [...document.querySelectorAll(s)].some(shown));
    const main = document.querySelector('main');
    const article = document.querySelector('main .article');
    return {
      kept: shown(main) && (!article || (shown(article) && shown(article.querySelector('h1')))),
      dropped,
    };
  });
  await page.emulateMedia({ media: 'screen' });
  if (!state.kept) fail(where, 'print: the main content or the article is hidden');
  if (state.dropped.length) fail(where, `print: still shown: ${state.dropped.join(', ')}`);
}
