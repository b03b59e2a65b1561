// The public recycling map (/map) in a real headless Chromium, as a resident
// uses it on a phone (390x844) and on a desktop (1280x800): the map fills
// the screen, clusters show their counts, a click finds the nearest points
// as GET /nearest does (walking when there are roads) with the route drawn,
// "nearest to me" uses the browser's position, search finds a point by its
// Chinese name and by pinyin initials, a category filter hides the points
// that do not take it, and the URL keeps the filter. Screenshots go to DIR.
// usage: node tests/public_map.mjs BASE_URL DIR
import { chromium } from 'playwright-core';

const [base, dir] = process.argv.slice(2);
const fail = msg => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const api = async path => { const r = await fetch(base + path); if (!r.ok) throw new Error(`${path}: ${r.status}`); return r.json(); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
});
const idle = page => page.evaluate(() => new Promise(res => {
  const m = window.gisdPublic.map;
  if (m.loaded() && m.areTilesLoaded()) setTimeout(res, 300); else m.once('idle', () => setTimeout(res, 300));
}));
try {
  for (const [w, h, name] of [[390, 844, 'phone'], [1280, 800, 'desktop']]) {
    const context = await browser.newContext({
      viewport: { width: w, height: h }, deviceScaleFactor: 1, locale: 'zh-CN',
      geolocation: { longitude: 120.508729, latitude: 28.052952 }, permissions: ['geolocation'],
    });
    const page = await context.newPage();
    const errors = [];
    page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', e => errors.push(String(e)));
    page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
    await page.goto(base + '/map', { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
    await idle(page);
    // the map fills the screen; on a phone the sheet leaves most of it to the map
    const box = await page.locator('#map').boundingBox();
    if (Math.round(box.width) !== w || Math.round(box.height) !== h) fail(`${name}: the map is ${box.width}x${box.height}, not the screen`);
    const sheet = await page.locator('#sheet').boundingBox();
    if (name === 'phone' && sheet.height > 0.5 * h) fail(`${name}: the sheet takes ${sheet.height} of ${h} px`);
    if (name === 'phone' && Math.round(sheet.width) !== w) fail(`${name}: the sheet is not across the screen`);
    if (name === 'desktop' && sheet.width > 400) fail(`${name}: the side panel is ${sheet.width} px wide`);
    // clusters carry their counts, and together they hold every point in view
    const clusters = await page.evaluate(() => window.gisdPublic.map.queryRenderedFeatures({ layers: ['clusters'] })
      .map(f => f.properties.point_count));
    if (!clusters.length || clusters.some(c => !(c >= 2))) fail(`${name}: clusters without counts: ${clusters.slice(0, 5)}`);
    const total = await page.evaluate(() => window.gisdPublic.total());
    const items = await api('/collections/recycling_points/items?limit=1');
    if (total !== items.numberMatched) fail(`${name}: the map holds ${total} points, the layer ${items.numberMatched}`);
    await page.screenshot({ path: `${dir}/public-map-${name}.png` });

    // a click on the map: the nearest points as /nearest answers them
    // a spot by a community (communities lie by the walkable roads), on no
    // point or cluster (those open a popup or zoom in)
    const communities = (await api('/collections/communities/items?limit=300')).features.map(f => f.geometry.coordinates);
    const spot = await page.evaluate(([w, h, places]) => {
      const m = window.gisdPublic.map;
      for (const c of places) {
        const { x, y } = m.project(c);
        if (x < 20 || x > w - 20 || y < 60 || y > h * 0.5) continue;
        const r = 18;
        if (!m.queryRenderedFeatures([[x - r, y - r], [x + r, y + r]], { layers: ['clusters', 'points'] }).length) return [x, y];
      }
      return null;
    }, [w, h, communities]);
    if (!spot) throw new Error(`${name}: no community in view away from the points to click by`);
    await page.mouse.click(spot[0], spot[1]);
    await page.waitForSelector('#nearest li', { timeout: 20000 });
    const asked = await page.evaluate(() => ({ ...document.getElementById('nearest').dataset,
      ids: [...document.querySelectorAll('#nearest li')].map(li => li.dataset.id) }));
    const want = await api(`/nearest?layer=recycling_points&lon=${asked.lon}&lat=${asked.lat}&n=5&distance=${asked.distance}`);
    if (asked.distance !== 'network') fail(`${name}: the city has roads, yet the map measured ${asked.distance}`);
    if (JSON.stringify(asked.ids) !== JSON.stringify(want.features.map(f => f.id)))
      fail(`${name}: the map lists ${asked.ids}, /nearest answers ${want.features.map(f => f.id)}`);
    const route = await page.evaluate(() => window.gisdPublic.found().filter(f => f.properties.kind === 'route').length);
    if (route !== 1) fail(`${name}: the walking route is not drawn`);
    await idle(page);
    await page.screenshot({ path: `${dir}/public-map-${name}-nearest.png` });

    // nearest to me: the browser's position
    await page.click('#locate');
    await page.waitForFunction(() => document.getElementById('nearest').dataset.lon === '120.508729', null, { timeout: 20000 });
    const mine = await page.evaluate(() => [...document.querySelectorAll('#nearest li')].map(li => li.dataset.id));
    const mineWant = await api('/nearest?layer=recycling_points&lon=120.508729&lat=28.052952&n=5&distance=network');
    if (mine[0] !== mineWant.features[0].id) fail(`${name}: nearest to me is ${mine[0]}, /nearest says ${mineWant.features[0].id}`);

    // search by Chinese name, then by pinyin initials
    for (const [q, id] of [['回收点490', 'R00490'], ['hsd490', 'R00490']]) {
      await page.fill('#search', q);
      await page.waitForFunction(q => { const li = document.querySelector('#search-results li[data-id]');
        return li && new URL(location.href).searchParams.get('q') === q; }, q, { timeout: 10000 });
      const first = await page.evaluate(() => document.querySelector('#search-results li[data-id]').dataset.id);
      if (first !== id) fail(`${name}: searching ${q} finds ${first} first, not ${id}`);
    }
    await page.click('#search-results li[data-id]');
    await idle(page);
    await page.screenshot({ path: `${dir}/public-map-${name}-search.png` });
    await page.fill('#search', '');

    // a category hides the points that do not take it, and the URL keeps it
    const tyres = (await api('/collections/recycling_points/items?limit=10000')).features
      .filter(f => String(f.properties.categories).split(';').includes('废轮胎')).length;
    await page.selectOption('#category', '废轮胎');
    const shown = await page.evaluate(() => window.gisdPublic.shown());
    if (shown !== tyres || shown >= total) fail(`${name}: 废轮胎 shows ${shown} points; ${tyres} take it`);
    const url = page.url();
    if (!url.includes('category=')) fail(`${name}: the URL ${url} does not keep the category`);
    await idle(page);
    await page.screenshot({ path: `${dir}/public-map-${name}-category.png` });
    const again = await context.newPage();
    await again.goto(url, { waitUntil: 'load' });
    await again.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
    const kept = await again.evaluate(() => [document.getElementById('category').value, window.gisdPublic.shown()]);
    if (kept[0] !== '废轮胎' || kept[1] !== tyres) fail(`${name}: the shared URL opens with ${kept}`);
    for (const e of errors) fail(`${name}: ${e}`);
    console.log(`${name}: ${total} points, ${clusters.length} clusters in view, nearest ${asked.ids[0]}, 废轮胎 ${shown}`);
    await context.close();
  }
} finally {
  await browser.close();
}
