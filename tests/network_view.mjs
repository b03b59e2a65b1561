// The network in the viewer, in a real headless Chromium: click a recycling
// point and see its walking catchment; click an enterprise and a facility
// and see the route drawn with what it exposes. Screenshots of both.
// usage: node tests/network_view.mjs BASE_URL OUT_PREFIX WANT_ROUTE_M
import { chromium } from 'playwright-core';

const [base, prefix, wantRoute] = process.argv.slice(2);
const fail = msg => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('response', r => { if (r.status() >= 500) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  const idle = () => page.evaluate(() => new Promise(res => {
    const m = window.gisdMap;
    if (m.loaded() && m.areTilesLoaded()) setTimeout(res, 300); else m.once('idle', () => setTimeout(res, 300));
  }));
  const box = await page.locator('#map').boundingBox();
  // a click on the feature at lon/lat, zoomed in on it
  const clickAt = async (coords, zoom) => {
    await page.evaluate(([c, z]) => window.gisdMap.jumpTo({ center: c, zoom: z }), [coords, zoom]);
    await idle();
    const pt = await page.evaluate(c => window.gisdMap.project(c), coords);
    await page.mouse.click(box.x + pt.x, box.y + pt.y);
  };
  const where = async (layer, id) => (await (await fetch(`${base}/collections/${layer}/items/${id}`)).json()).geometry.coordinates;
  const result = () => page.textContent('#analysis-result');

  // the walking catchment of a recycling point
  await page.selectOption('#analysis-name', 'service-area');
  await page.waitForSelector('#param-from', { timeout: 5000 });
  await clickAt(await where('recycling_points', 'R00012'), 16);
  await page.waitForFunction(() => document.getElementById('analysis-result').textContent.includes('可达道路'), null, { timeout: 20000 });
  const from = await page.inputValue('#param-from');
  if (from !== 'recycling_points:R00012') fail(`the click chose ${from}, not recycling_points:R00012`);
  await page.evaluate(() => window.gisdMap.jumpTo({ center: window.gisdMap.getCenter(), zoom: 14 }));
  await idle();
  let drawn = await page.evaluate(() => window.gisdMap.queryRenderedFeatures({ layers: ['analysis-line'] }).length);
  if (!(drawn > 0)) fail('the catchment was not drawn');
  await page.screenshot({ path: prefix + '-catchment.png' });

  // a route between an enterprise and a facility, clicked in turn
  await page.selectOption('#analysis-name', 'route');
  await page.waitForSelector('#param-to', { timeout: 5000 });
  await clickAt(await where('enterprises', 'E01940'), 16);
  await page.waitForFunction(() => document.getElementById('analysis-result').textContent.includes('终点'), null, { timeout: 5000 });
  await clickAt(await where('hw_facilities', 'HWF01'), 16);
  await page.waitForFunction(() => document.getElementById('analysis-result').textContent.includes('路程'), null, { timeout: 20000 });
  const [f, t] = [await page.inputValue('#param-from'), await page.inputValue('#param-to')];
  if (f !== 'enterprises:E01940' || t !== 'hw_facilities:HWF01') fail(`the route runs ${f} -> ${t}`);
  const text = await result();
  const answer = JSON.parse(text.slice(text.indexOf('{')));
  if (Math.abs(answer.distance_m - Number(wantRoute)) > 0.5) fail(`the route is ${answer.distance_m} m, want ${wantRoute}`);
  await page.evaluate(g => {
    const c = g.coordinates, xs = c.map(p => p[0]), ys = c.map(p => p[1]);
    window.gisdMap.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 60, duration: 0 });
  }, answer.geometry);
  await idle();
  drawn = await page.evaluate(() => window.gisdMap.queryRenderedFeatures({ layers: ['analysis-line'] }).length);
  if (!(drawn > 0)) fail('the route was not drawn');
  await page.screenshot({ path: prefix + '-route.png' });
  if (errors.length) fail('console errors:\n' + errors.join('\n'));
  if (!process.exitCode) console.log(`ok: catchment and route ${answer.distance_m} m drawn`);
} finally {
  await browser.close();
}
