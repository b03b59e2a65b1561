// The planner's workbench in a real headless Chromium: a scenario made in
// the viewer, a recycling point drawn on the map with terra-draw (a Part 4
// write in the scenario), recycling coverage run there covering more
// households than the baseline, and the compare view's indicator table
// showing the change.
// usage: node tests/workbench_check.mjs BASE_URL TOKEN SCREENSHOT.png
import { chromium } from 'playwright-core';

const [base, token, shot] = process.argv.slice(2);
const fail = msg => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await page.waitForFunction(() => window.gisdDraw, null, { timeout: 10000 });
  // the map settled: idle now, or at its next idle (never waiting past 10 s)
  const idle = () => page.evaluate(() => new Promise(res => {
    const m = window.gisdMap, done = () => setTimeout(res, 300);
    setTimeout(res, 10000);
    if (m.loaded() && m.areTilesLoaded()) done(); else m.once('idle', done);
  }));

  // an uncovered community: a point on it covers its households
  const baseline = await (await fetch(base + '/analysis/recycling-coverage?radius_m=1000')).json();
  const cid = baseline.uncovered[0];
  const community = await (await fetch(`${base}/collections/communities/items/${cid}`)).json();
  const [lon, lat] = community.geometry.coordinates;

  await page.fill('#token', token);
  await page.fill('#scenario-new', 'wb1');
  await page.click('#scenario-create');
  await page.waitForFunction(() => document.getElementById('scenario').value === 'wb1', null, { timeout: 10000 });

  await page.evaluate(([x, y]) => window.gisdMap.jumpTo({ center: [x, y], zoom: 15 }), [lon, lat]);
  await idle();
  await page.selectOption('#draw-layer', 'recycling_points');
  await page.click('#draw-point');
  const pt = await page.evaluate(([x, y]) => window.gisdMap.project([x, y]), [lon, lat]);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  await page.waitForFunction(() => window.gisdLastWrite && window.gisdLastWrite.status, null, { timeout: 10000 });
  const w = await page.evaluate(() => window.gisdLastWrite);
  if (w.method !== 'POST' || w.status !== 201 || !w.url.includes('/scenarios/wb1/collections/recycling_points/items'))
    fail(`drawing a point wrote ${JSON.stringify(w)}`);
  await page.click('#draw-off');

  // recycling coverage in the scenario covers the community the point was drawn on
  await page.selectOption('#analysis-name', 'recycling-coverage');
  await page.evaluate(() => { document.getElementById('analysis-result').textContent = ''; });
  await page.click('#analysis-run');
  await page.waitForFunction(() => document.getElementById('analysis-result').textContent.includes('{'), null, { timeout: 20000 });
  const answer = JSON.parse(await page.textContent('#analysis-result'));
  if (!(answer.total && answer.total.households_covered > baseline.total.households_covered))
    fail(`in wb1 ${answer.total && answer.total.households_covered} households covered, the baseline ${baseline.total.households_covered}`);
  if (answer.uncovered.includes(cid)) fail(`community ${cid} is still uncovered in wb1`);

  // the compare view: wb1 against the baseline, the recycling row up
  await page.selectOption('#compare-a', 'wb1');
  await page.selectOption('#compare-b', 'baseline');
  await page.click('#compare-run');
  await page.waitForSelector('#compare-table tr[data-id="recycling.households_covered"]', { timeout: 30000 });
  const delta = await page.textContent('#compare-table tr[data-id="recycling.households_covered"] td:last-child');
  if (!(Number(delta) > 0)) fail(`the compare table's recycling.households_covered delta is "${delta}"`);
  await page.waitForFunction(() => window.gisdMap.getSource('compare')._data && window.gisdCompare, null, { timeout: 10000 });
  await idle();
  const marked = await page.evaluate(() => window.gisdMap.queryRenderedFeatures({ layers: ['compare-point'] }).length);
  if (!(marked > 0)) fail('the added point is not drawn in the compare view');
  await page.screenshot({ path: shot });
  if (errors.length) fail('console errors:\n' + errors.join('\n'));
  if (!process.exitCode) console.log(`ok: drew ${w.url}, ${answer.total.households_covered} households covered, delta ${delta}`);
} finally {
  await browser.close();
}
