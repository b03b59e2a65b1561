// A gisd page (/map or the viewer) in headless Chromium until its map is
// idle, then a screenshot: what a deployment's basemap looks like under it.
// usage: node tests/basemap_view.mjs URL SCREENSHOT.png
import { chromium } from 'playwright-core';

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await page.evaluate(() => new Promise(res => {
    const m = (window.gisdPublic || {}).map || window.gisdMap;
    if (m.loaded() && m.areTilesLoaded()) setTimeout(res, 300); else m.once('idle', () => setTimeout(res, 300));
  }));
  await page.screenshot({ path: shot });
  for (const e of errors) { console.error('FAIL: ' + e); process.exitCode = 1; }
} finally {
  await browser.close();
}
