#!/usr/bin/env node
// Link checker for the built book, offline (nothing is fetched).
//
//   node tests/browser/check-links.mjs [book-dir]      (default: book)
//
// For every HTML file under book-dir (and mdBook's toc-*.js, which holds the
// sidebar), every href/src that stays inside the book (relative, root-
// relative, or same-origin via <base>) must name a file that exists, and a
// #fragment must name an id (or <a name>) in the target page. External
// http(s) links are listed, not fetched. Exits 1 on any broken link.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'book');
if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
  console.error(`check-links: ${root} is not a directory; run \`mdbook build\` first`);
  process.exit(2);
}
// A made-up origin, so that the URL API resolves relative links for us.
const ORIGIN = 'http://book.invalid';

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'" };
const unescape = (s) => s.replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, e) => {
  const k = e.toLowerCase();
  if (k in ENTITIES) return ENTITIES[k];
  if (k.startsWith('#x')) return String.fromCodePoint(parseInt(k.slice(2), 16));
  if (k.startsWith('#')) return String.fromCodePoint(parseInt(k.slice(1), 10));
  return m;
});

// Comments and script/style bodies are not markup (toc-*.js is read separately).
const stripNonMarkup = (html) => html
  .replace(/<!--[\s\S]*?-->/g, '')
  .replace(/(<script\b[^>]*>)[\s\S]*?(<\/script>)/gi, '$1$2')
  .replace(/(<style\b[^>]*>)[\s\S]*?(<\/style>)/gi, '$1$2');

const TAG = /<([a-zA-Z][a-zA-Z0-9-]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
const ATTR = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
function* tags(html) {
  for (const m of html.matchAll(TAG)) {
    const attrs = {};
    for (const a of m[2].matchAll(ATTR)) attrs[a[1].toLowerCase()] = unescape(a[2] ?? a[3] ?? a[4] ?? '');
    yield { name: m[1].toLowerCase(), attrs, index: m.index };
  }
}

const idCache = new Map();
function idsOf(file) {
  if (!idCache.has(file)) {
    const ids = new Set();
    for (const t of tags(stripNonMarkup(fs.readFileSync(file, 'utf8')))) {
      if (t.attrs.id) ids.add(t.attrs.id);
      if (t.name === 'a' && t.attrs.name) ids.add(t.attrs.name);
    }
    idCache.set(file, ids);
  }
  return idCache.get(file);
}

const files = walk(root);
const pages = files.filter((f) => f.endsWith('.html')).sort();
const sources = [...pages, ...files.filter((f) => /(^|[\\/])toc(-[0-9a-f]+)?\.js$/.test(f))];

const broken = [];
const external = new Map(); // url -> first page that links to it
let checked = 0;

for (const file of sources) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  const text = fs.readFileSync(file, 'utf8');
  let refs = [];
  let base = `${ORIGIN}/${rel}`;
  let sitePrefix = '/';
  if (file.endsWith('.js')) {
    // The sidebar's HTML is a JS string literal: take its hrefs, resolved
    // against the book root (every page sets path_to_root so that they are).
    refs = [...text.matchAll(/href=\\?"([^"\\]*)\\?"/g)].map((m) => ({ attr: 'href', url: unescape(m[1]) }));
    base = `${ORIGIN}/`;
  } else {
    for (const t of tags(stripNonMarkup(text))) {
      if (t.name === 'base' && t.attrs.href !== undefined) {
        // mdBook's 404.html: <base href="{site-url}">, "/" unless book.toml
        // (or MDBOOK_OUTPUT__HTML__SITE_URL) sets site-url, where the book
        // will be served from, e.g. "/repo/" on GitHub Pages.
        base = new URL(t.attrs.href, `${ORIGIN}/${rel}`).href;
        sitePrefix = new URL(base).pathname.replace(/[^/]*$/, '');
        continue;
      }
      for (const attr of ['href', 'src']) {
        if (t.attrs[attr] !== undefined) refs.push({ attr, url: t.attrs[attr] });
      }
    }
  }
  for (const { attr, url } of refs) {
    const raw = url.trim();
    if (raw === '' || /^(mailto|javascript|data|tel):/i.test(raw)) continue;
    // A fragment-only link means "this page". mdBook's 404.html sets
    // <base href>, which would point its header self-links at the index
    // page; check them against the page that holds them.
    if (raw.startsWith('#') && !file.endsWith('.js')) {
      checked++;
      const frag = decodeURIComponent(raw.slice(1));
      if (frag && !idsOf(file).has(frag)) broken.push(`${rel}: ${attr}="${raw}": no id "${frag}" in ${rel}`);
      continue;
    }
    let u;
    try {
      u = new URL(raw, base);
    } catch {
      broken.push(`${rel}: ${attr}="${raw}": not a URL`);
      continue;
    }
    if (u.origin !== ORIGIN) {
      if (/^https?:$/.test(u.protocol)) { if (!external.has(u.href)) external.set(u.href, rel); }
      else broken.push(`${rel}: ${attr}="${raw}": unexpected scheme ${u.protocol}`);
      continue;
    }
    checked++;
    let pathname = decodeURIComponent(u.pathname);
    if (pathname.startsWith(sitePrefix)) pathname = pathname.slice(sitePrefix.length);
    else if (sitePrefix !== '/') { broken.push(`${rel}: ${attr}="${raw}": outside site-url ${sitePrefix}`); continue; }
    let target = pathname.replace(/^\/+/, '');
    let abs = path.join(root, target);
    if (!abs.startsWith(root)) { broken.push(`${rel}: ${attr}="${raw}": leaves the book`); continue; }
    if (target === '' || fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory()) abs = path.join(abs, 'index.html');
    if (!fs.existsSync(abs)) { broken.push(`${rel}: ${attr}="${raw}": no file ${path.relative(root, abs)}`); continue; }
    const frag = decodeURIComponent(u.hash.slice(1));
    if (frag && abs.endsWith('.html') && !idsOf(abs).has(frag)) {
      broken.push(`${rel}: ${attr}="${raw}": no id "${frag}" in ${path.relative(root, abs)}`);
    }
  }
}

if (external.size) {
  console.log(`external links (listed, not fetched): ${external.size}`);
  for (const [u, from] of [...external].sort()) console.log(`  ${u}  (first in ${from})`);
}
const uniq = [...new Set(broken)];
for (const b of uniq) console.log(`BROKEN ${b}`);
console.log(`check-links: ${pages.length} pages, ${checked} internal links checked, ${uniq.length} broken`);
process.exit(uniq.length ? 1 : 0);
