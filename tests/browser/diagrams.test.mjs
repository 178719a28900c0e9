#!/usr/bin/env node
// The book's diagrams in headless Chromium, in a light and a dark theme.
// The diagrams are SVG sources in src/diagrams/, inlined into the chapters
// with {{#include diagrams/<name>.svg}} so that they take the theme's
// colours (mdBook's CSS variables). For every diagram a chapter includes,
// in each theme: the page loads without console errors, the diagram is
// rendered at a useful size, every label in it is drawn in a colour that
// stands out from the page's background and from the boxes' fill (WCAG
// contrast 4.5:1), and a screenshot of it goes to SCREENSHOT_DIR.
//
//   BOOK_URL=http://127.0.0.1:PORT/ node tests/browser/diagrams.test.mjs
//
// Env: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (default target/browser).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const SRC = path.join(REPO, 'src');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.resolve(REPO, process.env.SCREENSHOT_DIR ?? 'target/browser');
let base = process.env.BOOK_URL;
assert.ok(base, 'BOOK_URL is not set (.ci/browser sets it)');
if (!base.endsWith('/')) base += '/';
// mdBook's themes: one light, one dark, and the rest of the dark ones.
const THEMES = (process.env.DIAGRAM_THEMES ?? 'light,navy,coal,ayu,rust').split(',');
const MIN_CONTRAST = 4.5;

// --- which page shows which diagram, from the sources ----------------------
const markdown = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
  const p = path.join(dir, e.name);
  return e.isDirectory() ? markdown(p) : p.endsWith('.md') ? [p] : [];
});
const expected = [];
for (const file of markdown(SRC)) {
  const text = fs.readFileSync(file, 'utf8');
  for (const [, rel] of text.matchAll(/\{\{#include\s+(\S+\.svg)\s*\}\}/g)) {
    const svg = fs.readFileSync(path.resolve(path.dirname(file), rel), 'utf8');
    const id = svg.match(/^<svg[^>]*\bid="([^"]+)"/)?.[1];
    assert.ok(id, `${rel} has no id on its <svg> element`);
    assert.ok(/\bclass="diagram"/.test(svg.split('>')[0]), `${rel}: <svg class="diagram"> expected`);
    expected.push({ page: path.relative(SRC, file).replace(/\.md$/, '.html'), id });
  }
}

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}\n     ${String(err?.stack ?? err).split('\n').join('\n     ')}`);
  }
}

await check(`the chapters include diagrams (${expected.length})`, async () => {
  assert.ok(expected.length >= 5, `only ${expected.length} diagrams found`);
});

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  for (const theme of THEMES) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    await context.addInitScript((t) => localStorage.setItem('mdbook-theme', t), theme);
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    for (const file of [...new Set(expected.map((e) => e.page))]) {
      await check(`${theme}: ${file} loads without errors`, async () => {
        problems.length = 0;
        const res = await page.goto(base + file, { waitUntil: 'load' });
        assert.equal(res.status(), 200);
        assert.ok(await page.evaluate((t) => document.documentElement.classList.contains(t), theme),
          `the page is not in the ${theme} theme`);
        assert.deepEqual(problems, []);
      });
      for (const { id } of expected.filter((e) => e.page === file)) {
        await check(`${theme}: ${file} #${id} rendered and readable`, async () => {
          const svg = page.locator(`svg#${id}`);
          assert.equal(await svg.count(), 1, `#${id} on the page`);
          await svg.scrollIntoViewIfNeeded();
          const box = await svg.boundingBox();
          assert.ok(box && box.width > 300 && box.height > 100, `#${id} is ${JSON.stringify(box)}`);
          const report = await svg.evaluate((el, min) => {
            const rgb = (s) => (s.match(/[\d.]+/g) ?? []).map(Number);
            const lum = ([r, g, b]) => {
              const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
              return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
            };
            const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
            const pageBg = rgb(getComputedStyle(document.documentElement).backgroundColor);
            const boxes = [...el.querySelectorAll('.box')].map((r) => rgb(getComputedStyle(r).fill));
            const texts = [...el.querySelectorAll('text')];
            const bad = [];
            for (const t of texts) {
              const fill = rgb(getComputedStyle(t).fill);
              for (const bg of [pageBg, ...boxes.slice(0, 1)]) {
                const c = contrast(fill, bg);
                if (!(c >= min)) bad.push(`"${t.textContent}" fill ${fill} on ${bg}: ${c.toFixed(2)}`);
              }
              const r = t.getBBox();
              if (!(r.width > 0 && r.height > 0)) bad.push(`"${t.textContent}" has no size`);
            }
            return { texts: texts.length, bad };
          }, MIN_CONTRAST);
          assert.ok(report.texts >= 3, `only ${report.texts} labels`);
          assert.deepEqual(report.bad, []);
          fs.mkdirSync(SHOTS, { recursive: true });
          const png = await svg.screenshot({ path: path.join(SHOTS, `diagram-${id}-${theme}.png`) });
          assert.ok(png.length > 5_000, `screenshot is only ${png.length} bytes`);
          assert.deepEqual(problems, []);
        });
      }
    }
    await check(`${theme}: pages with their first diagram on screen, screenshots`, async () => {
      for (const file of [...new Set(expected.map((e) => e.page))]) {
        await page.goto(base + file, { waitUntil: 'load' });
        const first = expected.find((e) => e.page === file).id;
        await page.evaluate((id) => {
          document.getElementById(id).scrollIntoView();
          window.scrollBy(0, -document.getElementById('mdbook-menu-bar').offsetHeight - 16);
        }, first);
        const png = await page.screenshot({ path: path.join(SHOTS, `page-${file.replace(/[/.]/g, '-')}-${theme}.png`) });
        assert.ok(png.length > 20_000, `${file} screenshot is only ${png.length} bytes`);
      }
    });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
