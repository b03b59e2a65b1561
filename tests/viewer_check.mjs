// The viewer in a real headless Chromium (Debian's), driven by playwright-core:
// no console errors, a map that is drawn, a toggle that changes it, a click on
// a park that shows its name, each analysis drawn over the map, a site
// checked as a land bureau does (drawn, uploaded, its opinion PDF), and labels
// with digits drawn from the server's glyph ranges.
// usage: node tests/viewer_check.mjs BASE_URL SCREENSHOT.png PARK_LON PARK_LAT PARK_NAME
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const [base, shot, lon, lat, parkName] = process.argv.slice(2);
const fail = msg => { console.error('FAIL: ' + msg); process.exitCode = 1; };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  page.on('requestfailed', r => errors.push('request failed: ' + r.url()));
  page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });

  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  const idle = () => page.evaluate(() => new Promise(res => {
    const m = window.gisdMap;
    if (m.loaded() && m.areTilesLoaded()) setTimeout(res, 300); else m.once('idle', () => setTimeout(res, 300));
  }));
  await idle();

  // The canvas is not blank: many distinct colours in a sample of its pixels.
  const signature = () => page.evaluate(() => {
    const src = window.gisdMap.getCanvas();
    const c = document.createElement('canvas');
    c.width = src.width; c.height = src.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(src, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    let hash = 0;
    for (let i = 0; i < d.length; i += 4 * 97) {
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      hash = (hash * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) >>> 0;
    }
    return { colours: colours.size, hash };
  });
  const before = await signature();
  if (before.colours < 20) fail(`the map looks blank: ${before.colours} colours`);

  // Toggling the land-use zones off changes the picture.
  await page.click('#toggle-zones');
  await idle();
  const after = await signature();
  if (after.hash === before.hash) fail('toggling the zones layer did not change the map');
  const vis = await page.evaluate(() => window.gisdMap.getLayoutProperty('zones-fill', 'visibility'));
  if (vis !== 'none') fail('zones-fill is still visible after its toggle');
  await page.click('#toggle-zones');

  // A click on a park shows its name.
  await page.evaluate(([x, y]) => window.gisdMap.jumpTo({ center: [x, y], zoom: 13 }), [Number(lon), Number(lat)]);
  await idle();
  const pt = await page.evaluate(([x, y]) => window.gisdMap.project([x, y]), [Number(lon), Number(lat)]);
  const box = await page.locator('#map').boundingBox();
  for (const id of ['zones', 'sensitive_areas', 'enterprises', 'recycling_points', 'communities', 'heat_network', 'districts'])
    await page.click('#toggle-' + id);
  await idle();
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
  const popup = await page.waitForSelector('.maplibregl-popup-content', { timeout: 5000 }).catch(() => null);
  const text = popup ? await popup.innerText() : '';
  if (!text.includes(parkName)) fail(`clicking the park shows "${text}", not its name ${parkName}`);

  // The analysis panel runs each analysis and draws its answer over the map.
  await page.keyboard.press('Escape');
  let drawn = 0;
  for (const name of ['hw-proximity', 'recycling-coverage', 'site-check', 'symbiosis', 'heating-coverage']) {
    await page.selectOption('#analysis-name', name);
    await page.evaluate(() => { document.getElementById('analysis-result').textContent = ''; });
    if (name === 'site-check') await page.mouse.click(box.x + pt.x, box.y + pt.y);
    await page.click('#analysis-run');
    await page.waitForFunction(() => document.getElementById('analysis-result').textContent.includes('{'), null, { timeout: 15000 });
    const answer = JSON.parse(await page.textContent('#analysis-result'));
    if (answer.code) fail(`${name}: ${answer.description}`);
    await page.evaluate(() => window.gisdMap.jumpTo({ center: window.gisdMap.getCenter(), zoom: 10 }));
    await idle();
    drawn = await page.evaluate(() => window.gisdMap.queryRenderedFeatures(
      { layers: ['analysis-fill', 'analysis-line', 'analysis-point'] }).length);
    if (!(drawn > 0)) fail(`the ${name} answer was not drawn`);
    if (name === 'symbiosis') {
      // a legend entry per by-product, and the links coloured by it (several colours drawn)
      const entries = await page.evaluate(() => document.querySelectorAll('#analysis-legend .byproduct').length);
      if (entries !== answer.byproducts.length || entries < 2) fail(`symbiosis legend has ${entries} by-products, the answer ${answer.byproducts.length}`);
      const colours = await page.evaluate(() => new Set(window.gisdMap.queryRenderedFeatures({ layers: ['analysis-line'] })
        .map(f => f.layer.paint['line-color'].toString())).size);
      if (!(colours >= 2)) fail(`symbiosis links drawn in ${colours} colour(s)`);
    }
    await page.evaluate(([x, y]) => window.gisdMap.jumpTo({ center: [x, y], zoom: 13 }), [Number(lon), Number(lat)]);
  }

  // Site check as a land bureau does it: the class chosen by its Chinese
  // title, the boundary drawn on the map, the verdict read as a table, the
  // opinion downloaded as PDF; then the offices' file of every site uploaded.
  await page.selectOption('#analysis-name', 'site-check');
  await page.waitForSelector('#param-project_class option', { state: 'attached', timeout: 5000 });
  const classes = await page.evaluate(() => [...document.querySelectorAll('#param-project_class option')].map(o => o.textContent));
  if (!classes.some(t => t.startsWith('二类工业项目'))) fail(`the project classes read ${classes.join(', ')}`);
  await page.selectOption('#param-project_class', 'M3');
  await page.evaluate(([x, y]) => window.gisdMap.jumpTo({ center: [x, y], zoom: 15 }), [Number(lon), Number(lat)]);
  await idle();
  const c = await page.evaluate(([x, y]) => window.gisdMap.project([x, y]), [Number(lon), Number(lat)]);
  await page.click('#site-draw');
  for (const [dx, dy] of [[-60, -60], [60, -60], [60, 60], [-60, 60], [-60, -60]]) {
    await page.mouse.click(box.x + c.x + dx, box.y + c.y + dy);
    await page.waitForTimeout(150);
  }
  const placed = await page.evaluate(() => window.gisdSiteDrawing === false && document.getElementById('analysis-result') !== null);
  if (!placed) fail('the site boundary drawing did not finish');
  await page.evaluate(() => { document.getElementById('analysis-result').textContent = ''; });
  await page.click('#analysis-run');
  await page.waitForFunction(() => document.getElementById('analysis-result').textContent.includes('{'), null, { timeout: 15000 });
  const drawnSite = JSON.parse(await page.textContent('#analysis-result'));
  if (!drawnSite.rules) fail(`site-check of the drawn boundary: ${JSON.stringify(drawnSite).slice(0, 300)}`);
  const setback = (drawnSite.rules || []).find(r => r.rule === 'setback');
  if (!setback || setback.required_m !== 300) fail(`the drawn site was not checked as M3: ${JSON.stringify(setback)}`);
  const rows = await page.evaluate(() => [...document.querySelectorAll('#site-table tr[data-rule]')].map(r => r.innerText));
  if (rows.length !== drawnSite.rules.length || !rows[0].includes('位于园区内') || !rows.join('\n').includes('合规'))
    fail(`the verdict table reads ${JSON.stringify(rows)}`);
  await page.waitForSelector('#site-pdf:not([hidden])', { timeout: 20000 });
  const pdfHead = await page.evaluate(async () => {
    const b = await (await fetch(document.getElementById('site-pdf').href)).arrayBuffer();
    return String.fromCharCode(...new Uint8Array(b.slice(0, 5)));
  });
  if (pdfHead !== '%PDF-') fail(`the opinion link holds "${pdfHead}", not a PDF`);
  await page.locator('#site-pdf').scrollIntoViewIfNeeded();
  await page.screenshot({ path: shot.replace(/\.png$/, '-site.png') });

  const expected = JSON.parse(fs.readFileSync('data/reference/expected/site-check.json', 'utf8'));
  await page.setInputFiles('#site-file', 'data/reference/sites.geojson');
  await page.waitForFunction(() => document.getElementById('analysis-result').textContent.startsWith('已上传'), null, { timeout: 5000 });
  await page.click('#analysis-run');
  await page.waitForFunction(() => document.getElementById('analysis-result').textContent.includes('{'), null, { timeout: 30000 });
  const batch = JSON.parse(await page.textContent('#analysis-result'));
  const want = Object.values(expected).filter(v => v.compliant).length;
  if (batch.total !== Object.keys(expected).length || batch.compliant !== want)
    fail(`the uploaded sites: ${batch.compliant}/${batch.total} compliant, the reference ${want}/${Object.keys(expected).length}`);
  const siteRows = await page.evaluate(() => document.querySelectorAll('#site-table tr[data-site]').length);
  if (siteRows !== batch.total) fail(`the batch table has ${siteRows} rows for ${batch.total} sites`);
  await page.click('#analysis-clear');

  // The optimisation panel: the heat extension with its frontier, as a job,
  // drawn over the map and plotted (SVG drawn by the viewer itself).
  await page.selectOption('#optimize-name', 'heat-extension');
  await page.waitForSelector('#opt-budget_km', { timeout: 5000 });
  await page.fill('#opt-budget_km', '20');
  await page.fill('#opt-frontier', '9');
  await page.click('#optimize-run');
  await page.waitForFunction(() => window.gisdOptimization && window.gisdOptimization.answer, null, { timeout: 30000 });
  const progress = await page.evaluate(() => document.getElementById('optimize-progress').value);
  if (progress !== 100) fail(`the job's progress bar stopped at ${progress}`);
  const opt = await page.evaluate(() => window.gisdOptimization.answer);
  if (!(opt.tph_retired > 0) || !opt.frontier || opt.frontier.length !== 9) fail(`heat-extension: ${JSON.stringify(opt).slice(0, 200)}`);
  await page.evaluate(() => window.gisdMap.jumpTo({ center: window.gisdMap.getCenter(), zoom: 9 }));
  await idle();
  const optDrawn = await page.evaluate(() => window.gisdMap.queryRenderedFeatures({ layers: ['optimize-line', 'optimize-point'] }).length);
  if (!(optDrawn > 0)) fail('the optimisation was not drawn');
  const curve = await page.evaluate(() => document.querySelectorAll('#optimize-frontier polyline, #optimize-frontier circle').length);
  if (curve !== 10) fail(`the frontier chart has ${curve} marks, want a line and 9 points`);

  await page.screenshot({ path: shot });

  // Labels with Latin letters and digits take the server's glyph ranges:
  // a recycling point's label ("回收点490") in the recycling style.
  const glyphRanges = [];
  page.on('response', r => { if (r.url().includes('/fonts/')) glyphRanges.push(`${r.status()} ${r.url()}`); });
  const rp = await (await fetch(base + '/collections/recycling_points/items/R00490')).json();
  await page.goto(base + '/?style=recycling', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await idle();
  await page.evaluate(c => window.gisdMap.jumpTo({ center: c, zoom: 16 }), rp.geometry.coordinates);
  await idle();
  const labels = await page.evaluate(() => window.gisdMap.queryRenderedFeatures({ layers: ['recycling-label'] }).length);
  if (!(labels > 0)) fail('no recycling point label was drawn');
  if (!glyphRanges.some(g => g.startsWith('200 ') && g.includes('/0-255.pbf')))
    fail(`the Latin glyph range was not loaded: ${glyphRanges.join(', ') || 'no /fonts request'}`);
  if (errors.length) fail('console errors:\n' + errors.join('\n'));
  if (!process.exitCode) console.log(`ok: ${before.colours} colours, popup "${text.split('\n')[0]}", ${drawn} analysis features`);
} finally {
  await browser.close();
}
