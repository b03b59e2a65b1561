// The viewer of an installed gisd in a real headless Chromium: every file it
// asks for answers (no 404: MapLibre and the drawing library come from the
// installed share/gisd/vendor), the map is drawn, the drawing library loaded.
// usage: node tests/install_view.mjs BASE_URL SCREENSHOT.png
import { chromium } from 'playwright-core';

const [base, shot] = process.argv.slice(2);
const fail = msg => { console.error('FAIL: ' + msg); process.exitCode = 1; };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  const asked = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  page.on('requestfailed', r => errors.push('request failed: ' + r.url()));
  page.on('response', r => {
    asked.push(r.url());
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await page.evaluate(() => new Promise(res => {
    const m = window.gisdMap;
    if (m.loaded() && m.areTilesLoaded()) setTimeout(res, 300); else m.once('idle', () => setTimeout(res, 300));
  }));
  const colours = await page.evaluate(() => {
    const src = window.gisdMap.getCanvas();
    const c = document.createElement('canvas');
    c.width = src.width; c.height = src.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(src, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4 * 97) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  });
  if (colours < 20) fail(`the map looks blank: ${colours} colours`);
  for (const want of ['/vendor/maplibre-gl.js', '/vendor/terra-draw/terra-draw.umd.js', '/tiles/'])
    if (!asked.some(u => u.includes(want))) fail(`the viewer never asked for ${want}`);
  const draw = await page.evaluate(() => typeof window.terraDraw !== 'undefined' || typeof window.TerraDraw !== 'undefined');
  if (!draw) fail('the drawing library (terra-draw) is not loaded');
  await page.screenshot({ path: shot });
  for (const e of errors) fail(e);
  console.log(`viewer: ${asked.length} responses, ${colours} colours, drawing library loaded`);
} finally {
  await browser.close();
}
