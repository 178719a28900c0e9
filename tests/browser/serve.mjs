#!/usr/bin/env node
// A tiny static server for the built book, on 127.0.0.1 only.
//
//   node tests/browser/serve.mjs <dir> [port-file]
//
// Listens on a free port (or $PORT), prints "serving <dir> on http://127.0.0.1:<port>/"
// and, if port-file is given, writes the URL there once it is listening.
// Unknown paths get 404 with the book's 404.html, as GitHub Pages does.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'book');
const portFile = process.argv[3];
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.eot': 'application/vnd.ms-fontobject',
  '.otf': 'font/otf', '.map': 'application/json',
};

function send(res, status, file, head) {
  res.writeHead(status, {
    'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'cache-control': 'no-store',
  });
  if (head) return res.end();
  fs.createReadStream(file).pipe(res);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
  let p;
  try { p = decodeURIComponent(new URL(req.url, 'http://x').pathname); } catch { res.writeHead(400).end(); return; }
  let file = path.join(root, p);
  if (file !== root && !file.startsWith(root + path.sep)) { res.writeHead(403).end(); return; }
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) file = path.join(file, 'index.html');
  if (fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return send(res, 200, file, req.method === 'HEAD');
  const notFound = path.join(root, '404.html');
  if (fs.existsSync(notFound)) return send(res, 404, notFound, req.method === 'HEAD');
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}/`;
  console.log(`serving ${root} on ${url}`);
  if (portFile) fs.writeFileSync(portFile, url + '\n');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
