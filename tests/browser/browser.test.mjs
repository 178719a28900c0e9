#!/usr/bin/env node
// End-to-end test of the built book in headless Chromium (Debian's package),
// driven by Playwright. Run from anywhere:
//
//   BOOK_URL=http://127.0.0.1:PORT/ node tests/browser/browser.test.mjs
//
// Without BOOK_URL it serves book/ itself (tests/browser/serve.mjs).
// Env: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (default target/browser).
// Prints one line per check and, last, "N passed, N failed"; exits 1 on any failure.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.resolve(REPO, process.env.SCREENSHOT_DIR ?? 'target/browser');

// --- what the book should contain, from its sources -----------------------
const bookTitle = fs.readFileSync(path.join(REPO, 'book.toml'), 'utf8').match(/^title\s*=\s*"([^"]*)"/m)[1];
// Every chapter of SUMMARY.md: [Name](file.md), numbered or not.
const chapters = [...fs.readFileSync(path.join(REPO, 'src/SUMMARY.md'), 'utf8')
  .matchAll(/\[([^\]]+)\]\(([^)]+)\.md\)/g)]
  .map(([, name, file]) => ({ name: name.replace(/`/g, ''), page: `${file}.html` }));
// A listing as the book includes it: the whole file minus the ANCHOR lines.
const listing = (bin) => fs.readFileSync(path.join(REPO, 'listings/src/bin', `${bin}.rs`), 'utf8')
  .split('\n').filter((l) => !/^\s*\/\/ ANCHOR(_END)?: /.test(l)).join('\n');
const anchorRegion = (bin, name) => {
  const lines = fs.readFileSync(path.join(REPO, 'listings/src/bin', `${bin}.rs`), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === `// ANCHOR: ${name}`);
  const end = lines.findIndex((l) => l.trim() === `// ANCHOR_END: ${name}`);
  assert.ok(start >= 0 && end > start, `ANCHOR ${name} in ${bin}.rs`);
  return lines.slice(start + 1, end).filter((l) => !/^\s*\/\/ ANCHOR(_END)?: /.test(l)).join('\n');
};
// innerText and the file may differ only in the final newline.
const trimEnd = (s) => s.replace(/\s+$/, '');

// --- tiny test harness -----------------------------------------------------
let passed = 0;
let failed = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name} (${Date.now() - t0} ms)\n     ${String(err?.stack ?? err).split('\n').join('\n     ')}`);
  }
}

// --- the server, unless we were given one ----------------------------------
let server;
let base = process.env.BOOK_URL;
if (!base) {
  const urlFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'book-serve-')), 'url');
  server = spawn(process.execPath, [path.join(HERE, 'serve.mjs'), path.join(REPO, 'book'), urlFile], { stdio: 'inherit' });
  for (let i = 0; i < 100 && !fs.existsSync(urlFile); i++) await new Promise((r) => setTimeout(r, 50));
  base = fs.readFileSync(urlFile, 'utf8').trim();
}
if (!base.endsWith('/')) base += '/';
const origin = new URL(base).origin;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // Playwright gives each launch a fresh, empty --user-data-dir of its own.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
context.setDefaultTimeout(10_000);
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
// Nothing may leave localhost: the book must work offline.
const offsite = [];
await context.route((url) => url.origin !== origin, (route) => { offsite.push(route.request().url()); route.abort(); });

// Opens a page, collecting console errors, uncaught exceptions and failed
// or non-2xx sub-requests; returns the page and the list.
async function open(page, url) {
  const problems = [];
  page.removeAllListeners();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  // ERR_ABORTED is a request cancelled by leaving the previous page, not a fault.
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  const res = await page.goto(url, { waitUntil: 'load' });
  await page.waitForLoadState('networkidle');
  return { res, problems };
}

const page = await context.newPage();
try {
  await check(`SUMMARY.md lists chapters (${chapters.length})`, async () => {
    assert.ok(chapters.length >= 8, `only ${chapters.length} chapters parsed`);
    assert.ok(chapters.some((c) => c.page === 'sync-writes.html'));
  });

  for (const { name, page: file } of [{ name: 'Introduction', page: '' }, ...chapters]) {
    await check(`chapter loads: /${file} "${name}"`, async () => {
      const { res, problems } = await open(page, base + file);
      assert.equal(res.status(), 200);
      assert.equal(await page.title(), `${name} - ${bookTitle}`);
      // The page's own heading, the sidebar's link to it, no script errors.
      await page.locator('main h1').first().waitFor();
      const active = await page.locator('mdbook-sidebar-scrollbox a.active').first().textContent();
      assert.ok(active.includes(name), `sidebar highlights "${active}"`);
      // No listing is all hidden lines: that is how mdBook renders an
      // include whose ANCHOR does not exist (silently, without a warning).
      const empty = await page.locator('pre code').evaluateAll((bs) => bs
        .filter((b) => {
          // From the DOM, not the rendering: a block inside a closed
          // <details> (the exercises' solutions) renders nothing either way.
          const c = b.cloneNode(true);
          c.querySelectorAll('.boring').forEach((e) => e.remove());
          return b.querySelector('.boring') && c.textContent.trim() === '';
        })
        .map((b) => b.textContent.split('\n')[0]));
      assert.deepEqual(empty, [], 'code blocks showing nothing but hidden lines');
      assert.deepEqual(problems, []);
    });
  }

  await check('an unknown page gets the 404 page', async () => {
    const res = await page.goto(base + 'no-such-chapter.html');
    assert.equal(res.status(), 404);
    assert.equal(await page.title(), `Page not found - ${bookTitle}`);
  });

  await check('sync-writes: the listing code is on the page', async () => {
    const { problems } = await open(page, base + 'sync-writes.html');
    const block = page.locator('pre code.language-rust', { hasText: 'producer.flush(Duration::from_secs(10))?;' }).first();
    await block.waitFor();
    assert.ok(await block.isVisible());
    // Highlighted by highlight.js, and the flush line is visible, not a hidden one.
    assert.ok(await block.evaluate((b) => b.classList.contains('hljs')));
    assert.ok((await block.innerText()).includes('producer.flush(Duration::from_secs(10))?;'));
    // The set-up lines are there but hidden until the eye button is pressed.
    assert.ok(await block.locator('.boring').count() > 0);
    assert.equal(await block.locator('.boring').first().isVisible(), false);
    assert.deepEqual(problems, []);
  });

  // What a screenshot must show: the element on screen, inside the
  // viewport, and a picture with something in it (a blank page compresses
  // to a few hundred bytes).
  const assertOnScreen = async (locator, what) => {
    assert.ok(await locator.isVisible(), `${what} is not visible`);
    const box = await locator.boundingBox();
    const viewport = page.viewportSize();
    assert.ok(box && box.y >= 0 && box.y + box.height <= viewport.height,
      `${what} is outside the viewport: ${JSON.stringify(box)}`);
  };
  const shoot = async (name) => {
    fs.mkdirSync(SHOTS, { recursive: true });
    const png = await page.screenshot({ path: path.join(SHOTS, name) });
    assert.ok(png.length > 20_000, `${name} is only ${png.length} bytes`);
  };

  await check('screenshot: introduction', async () => {
    await open(page, base + 'introduction.html');
    await assertOnScreen(page.locator('main h1').first(), 'the title');
    await shoot('introduction.png');
  });

  await check('screenshot: sync-writes, at its first listing', async () => {
    await open(page, base + 'sync-writes.html');
    // The heading just below the sticky menu bar, the pointer on the listing
    // so that its buttons (eye, copy) show.
    await page.evaluate(() => {
      document.getElementById('flush-after-every-message').scrollIntoView();
      window.scrollBy(0, -document.getElementById('mdbook-menu-bar').offsetHeight - 16);
    });
    await page.locator('pre', { has: page.locator('code', { hasText: 'producer.flush(Duration::from_secs(10))?;' }) }).first().hover();
    await page.waitForTimeout(300); // the buttons fade in
    await assertOnScreen(page.locator('#flush-after-every-message'), 'the heading');
    const listing = page.locator('pre', { has: page.locator('code', { hasText: 'producer.flush(Duration::from_secs(10))?;' }) }).first();
    await assertOnScreen(listing.locator('button.clip-button'), 'the copy button');
    await shoot('sync-writes.png');
  });

  for (const how of ['key s', 'search icon']) {
    await check(`search "flush" (${how}) lists sync-writes.html`, async () => {
      const { problems } = await open(page, base + 'introduction.html');
      const bar = page.locator('#mdbook-searchbar');
      assert.equal(await bar.isVisible(), false);
      if (how === 'key s') await page.keyboard.press('s');
      else await page.locator('#mdbook-search-toggle').click();
      await bar.waitFor({ state: 'visible' });
      await bar.pressSequentially('flush', { delay: 30 });
      const results = page.locator('#mdbook-searchresults li a');
      await results.first().waitFor();
      const hrefs = await results.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.ok(hrefs.some((h) => h.startsWith('sync-writes.html')), `results: ${hrefs.join(', ')}`);
      const header = await page.locator('#mdbook-searchresults-header').innerText();
      assert.match(header, /search results for 'flush'/i);
      // Following the result lands on the chapter with the term marked.
      await results.filter({ has: page.locator(`xpath=self::a[starts-with(@href, "sync-writes.html")]`) }).first().click();
      await page.waitForURL(/sync-writes\.html/);
      assert.ok(await page.locator('main mark').count() > 0, 'search term highlighted');
      assert.deepEqual(problems, []);
    });
  }

  // mdBook 0.5.4's copy button (book.js) copies the code element's innerText,
  // i.e. only what is on screen: a listing's ANCHOR region, which does not
  // compile. theme/copy-whole-listing.js makes it copy the whole listing,
  // hidden lines included; rustdoc_include has dropped the ANCHOR comments.
  const readClipboard = () => page.evaluate(() => navigator.clipboard.readText());
  const copyBlock = async (block) => {
    await page.evaluate(() => navigator.clipboard.writeText('(clipboard not written)'));
    await block.hover();
    await block.locator('button.clip-button').click();
    await block.locator('button.clip-button.tooltipped').waitFor();
    assert.equal(await block.locator('button.clip-button .tooltiptext').innerText(), 'Copied!');
    return readClipboard();
  };
  const listingBlock = (bin) => {
    // The block that shows the listing's first ANCHOR region.
    const firstLine = anchorRegion(bin, firstAnchor(bin)).split('\n').find((l) => /\S/.test(l)).trim();
    return page.locator('pre', { has: page.locator('code.language-rust', { hasText: firstLine }) }).first();
  };
  const assertWholeListing = (copied, bin) => {
    assert.equal(trimEnd(copied), trimEnd(listing(bin)));
    // A complete program: its main and its imports came along.
    assert.match(copied, /^fn main\(\)|^async fn main\(\)/m);
    assert.match(copied, /^use rdkafka::/m);
  };

  for (const [file, bin] of [['sync-writes.html', 'flush_each'], ['sync-writes.html', 'send_and_wait'], ['delivery-reports.html', 'delivery_reports']]) {
    await check(`copy button, lines hidden: copies all of listings/src/bin/${bin}.rs (${file})`, async () => {
      await open(page, base + file);
      const pre = listingBlock(bin);
      assert.ok(await pre.locator('.boring').count() > 0, 'the listing has hidden lines');
      assertWholeListing(await copyBlock(pre), bin);
    });
  }

  await check('copy button, hidden lines shown: copies the same whole listing', async () => {
    await open(page, base + 'sync-writes.html');
    const pre = listingBlock('flush_each');
    await pre.hover();
    await pre.locator('button[title="Show hidden lines"]').click();
    await pre.locator('button[title="Hide lines"]').waitFor();
    assertWholeListing(await copyBlock(pre), 'flush_each');
  });

  await check('no request left localhost', async () => {
    assert.deepEqual(offsite, []);
  });
} finally {
  await browser.close();
  if (server) server.kill('SIGTERM');
}

function firstAnchor(bin) {
  const m = fs.readFileSync(path.join(REPO, 'listings/src/bin', `${bin}.rs`), 'utf8').match(/\/\/ ANCHOR: (\S+)/);
  return m[1];
}

console.log(`screenshots: ${path.relative(REPO, path.join(SHOTS, 'introduction.png'))}, ${path.relative(REPO, path.join(SHOTS, 'sync-writes.png'))}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
