// Test driver: runs JsSIP in headless Debian Chromium through playwright-core
// and answers commands over HTTP on 127.0.0.1 (port in argv[2]).
//   node driver.cjs PORT JSDIR OUTDIR
// JSDIR holds node_modules with jssip, playwright-core and esbuild
// (installed by scripts/webrtc-js.sh; no browser is ever downloaded).
'use strict';
const path = require('path');
const fs = require('fs');
const http = require('http');

const [port, jsdir, outdir] = process.argv.slice(2);
const req = m => require(path.join(jsdir, 'node_modules', m));
const { chromium } = req('playwright-core');
const esbuild = req('esbuild');

// Playwright passes its own --disable-features list and Chromium keeps only
// the last one, so ours is merged into it (webrtc-notes 7).
function playwrightDisabledFeatures() {
  const src = fs.readFileSync(path.join(jsdir, 'node_modules', 'playwright-core', 'lib', 'coreBundle.js'), 'utf8');
  const m = src.match(/disabledFeatures = \[([\s\S]*?)\]\.filter/);
  if (!m) throw new Error('cannot find playwright-core disabledFeatures');
  return [...m[1].matchAll(/"([^"]+)"/g)].map(x => x[1]);
}

const events = [];
let waiters = [];
function push(ev) {
  ev.at = Date.now();
  events.push(ev);
  console.log(JSON.stringify(ev));
  const w = waiters; waiters = [];
  w.forEach(f => f());
}

async function main() {
  const bundle = path.join(outdir, 'page.bundle.js');
  await esbuild.build({ entryPoints: [path.join(__dirname, 'page.js')], bundle: true, outfile: bundle,
    platform: 'browser', logLevel: 'warning', nodePaths: [path.join(jsdir, 'node_modules')] });
  const html = '<!doctype html><html><body><script>' + fs.readFileSync(bundle, 'utf8') + '</script></body></html>';
  const page0 = http.createServer((q, r) => { r.writeHead(200, { 'content-type': 'text/html' }); r.end(html); });
  await new Promise(ok => page0.listen(0, '127.0.0.1', ok));
  const pageURL = 'http://127.0.0.1:' + page0.address().port + '/';

  const pwFeatures = playwrightDisabledFeatures();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    ignoreDefaultArgs: ['--disable-features=' + pwFeatures.join(',')],
    args: [
      '--disable-features=' + pwFeatures.concat(['WebRtcHideLocalIpsWithMdns']).join(','),
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
      '--proxy-server=http://127.0.0.1:9',
      '--allow-loopback-in-peer-connection',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      '--ignore-certificate-errors',
      '--no-sandbox',
    ],
  });
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  page.on('console', m => process.stderr.write('[page] ' + m.text() + '\n'));
  page.on('pageerror', e => process.stderr.write('[page error] ' + e + '\n'));
  await page.exposeFunction('sbEvent', ev => push(ev));
  await page.goto(pageURL);

  const srv = http.createServer(async (q, r) => {
    let body = '';
    q.on('data', d => body += d);
    await new Promise(ok => q.on('end', ok));
    const reply = (code, obj) => { r.writeHead(code, { 'content-type': 'application/json' }); r.end(JSON.stringify(obj)); };
    try {
      const u = new URL(q.url, 'http://x');
      if (u.pathname === '/health') return reply(200, { ok: true });
      if (u.pathname === '/events') {
        // Long poll: events with index >= from, waiting up to ms.
        const from = +u.searchParams.get('from') || 0, ms = Math.min(+u.searchParams.get('ms') || 0, 30000);
        if (events.length <= from && ms > 0) {
          await new Promise(ok => { const t = setTimeout(ok, ms); waiters.push(() => { clearTimeout(t); ok(); }); });
        }
        return reply(200, events.slice(from));
      }
      if (u.pathname === '/cmd') {
        const c = JSON.parse(body || '{}');
        let res = null;
        switch (c.cmd) {
          case 'start': res = await page.evaluate(cfg => window.sbStart(cfg), c.cfg); break;
          case 'call': res = await page.evaluate(uri => window.sbCall(uri), c.uri); break;
          case 'answer': res = await page.evaluate(() => window.sbAnswer()); break;
          case 'hangup': res = await page.evaluate(() => window.sbHangup()); break;
          case 'hold': res = await page.evaluate(on => window.sbHold(on), !!c.on); break;
          case 'listen': res = await page.evaluate(() => window.sbListen()); break;
          default: return reply(400, { error: 'unknown command ' + c.cmd });
        }
        return reply(200, { result: res === undefined ? null : res });
      }
      reply(404, { error: 'not found' });
    } catch (e) {
      reply(500, { error: String(e) });
    }
  });
  srv.listen(+port, '127.0.0.1', () => process.stderr.write('driver ready on ' + port + '\n'));
  const stop = async () => { try { await browser.close(); } catch (e) { } process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(e => { process.stderr.write('driver failed: ' + (e && e.stack || e) + '\n'); process.exit(1); });
