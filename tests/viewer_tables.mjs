// The planner's viewer answers in tables, not JSON: an analysis run from the
// panel shows its summary and its main list under Chinese headers (sortable),
// with CSV, Excel and GeoJSON downloads that answer; Clear clears; an
// optimisation's answer the same, with its job's downloads.
// usage: node tests/viewer_tables.mjs BASE_URL SCREENSHOT_DIR
import { chromium } from 'playwright-core';

const [base, dir] = process.argv.slice(2);
const fail = msg => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  page.on('response', r => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });

  // heating coverage: a row a park
  await page.selectOption('#analysis-name', 'heating-coverage');
  await page.click('#analysis-run');
  await page.waitForSelector('#analysis-table table[data-list="parks"] tbody tr', { timeout: 30000 });
  const parks = await (await fetch(base + '/analysis/heating-coverage')).json();
  const t = await page.evaluate(() => {
    const table = document.querySelector('#analysis-table table[data-list="parks"]');
    return { rows: table.tBodies[0].rows.length, heads: [...table.tHead.rows[0].cells].map(c => c.textContent),
             summary: document.querySelector('#analysis-table table.summary').innerText,
             links: [...document.querySelectorAll('#analysis-table .downloads a')].map(a => a.href) };
  });
  if (t.rows !== parks.parks.length) fail(`the parks table has ${t.rows} rows, the answer ${parks.parks.length} parks`);
  for (const want of ['园区编号', '覆盖率', '覆盖面积(km²)'])
    if (!t.heads.includes(want)) fail(`the parks table lacks the header ${want}: ${t.heads}`);
  if (t.heads.some(h => /^[a-z_]+$/.test(h) && h.includes('_'))) fail(`a header is a JSON key: ${t.heads}`);
  if (!t.summary.includes('半径(m)')) fail(`the summary lacks 半径(m): ${t.summary}`);
  // sorting by coverage: the first row then holds the smallest ratio
  await page.click('#analysis-table thead th[data-col="coverage_ratio"]');
  const first = await page.evaluate(() => {
    const table = document.querySelector('#analysis-table table[data-list="parks"]');
    const k = [...table.tHead.rows[0].cells].findIndex(c => c.dataset.col === 'coverage_ratio');
    return Number(table.tBodies[0].rows[0].cells[k].textContent.replace(/,/g, ''));
  });
  const least = Math.min(...parks.parks.map(p => p.coverage_ratio));
  if (Math.abs(first - least) > 1e-3) fail(`sorted by coverage, the first row holds ${first}, not ${least}`);
  // the downloads answer
  for (const [href, type] of t.links.map(h => [h, h.includes('f=csv') ? 'text/csv' : h.includes('f=xlsx') ? 'spreadsheetml' : 'geo+json'])) {
    const r = await fetch(href);
    if (!r.ok || !(r.headers.get('content-type') || '').includes(type)) fail(`the download ${href}: ${r.status} ${r.headers.get('content-type')}`);
  }
  if (t.links.length !== 3) fail(`${t.links.length} downloads, not CSV, Excel and GeoJSON`);
  // the map's legend says what the analysis drew
  const legend = await page.evaluate(() => document.getElementById('analysis-legend').innerText);
  for (const want of ['供热覆盖范围', '覆盖内燃煤锅炉']) if (!legend.includes(want)) fail(`the analysis legend lacks ${want}: ${legend}`);
  await page.screenshot({ path: `${dir}/viewer-table-heating.png` });
  await page.click('#analysis-clear');
  await page.evaluate(() => new Promise(res => window.gisdMap.once('idle', res)));
  const cleared = await page.evaluate(() => [document.getElementById('analysis-table').innerHTML,
    document.getElementById('analysis-result').textContent, window.gisdMap.querySourceFeatures('analysis').length]);
  if (cleared[0] !== '' || cleared[1] !== '' || cleared[2] !== 0) fail(`Clear left ${cleared}`);

  // hazardous-waste allocation: a row a flow
  await page.selectOption('#optimize-name', 'hw-allocation');
  await page.click('#optimize-run');
  await page.waitForSelector('#optimize-table table[data-list="flows"] tbody tr', { timeout: 120000 });
  const o = await page.evaluate(() => ({
    title: document.querySelector('#optimize-table h3').textContent,
    heads: [...document.querySelector('#optimize-table table[data-list="flows"]').tHead.rows[0].cells].map(c => c.textContent),
    links: [...document.querySelectorAll('#optimize-table .downloads a')].map(a => a.href) }));
  if (!o.heads.includes('企业编号') || !o.heads.includes('处置设施编号')) fail(`the flows table's headers: ${o.heads}`);
  const olegend = await page.evaluate(() => document.getElementById('optimize-legend').innerText);
  for (const want of ['危废流向', '未处置']) if (!olegend.includes(want)) fail(`the optimisation legend lacks ${want}: ${olegend}`);
  const csv = await (await fetch(o.links[0])).text();
  const n = Number((o.title.match(/（(\d+)）/) || [])[1]);
  if (csv.trim().split('\n').length - 1 !== n) fail(`the job's CSV has ${csv.trim().split('\n').length - 1} rows, the table ${n}`);
  await page.screenshot({ path: `${dir}/viewer-table-hw-allocation.png` });
  // the optimisation form in Chinese with its limits, the candidates as a file
  await page.selectOption('#optimize-name', 'recycling-siting');
  await page.waitForSelector('#opt-candidates-file', { state: 'attached', timeout: 10000 });
  const form = await page.evaluate(() => document.getElementById('optimize-params').innerText);
  for (const want of ['半径', '数量 p', '候选点文件']) if (!form.includes(want)) fail(`the optimisation form lacks ${want}: ${form}`);
  // heat extension: the frontier with its axis titles and the budget asked for marked
  await page.selectOption('#optimize-name', 'heat-extension');
  await page.waitForSelector('#opt-budget_km', { timeout: 10000 });
  await page.click('#optimize-run');
  await page.waitForSelector('#optimize-frontier polyline', { timeout: 120000 });
  const chart = await page.evaluate(() => document.getElementById('optimize-frontier').textContent);
  for (const want of ['支管长度', '可淘汰蒸吨', '所选预算 20 km']) if (!chart.includes(want)) fail(`the frontier lacks ${want}: ${chart}`);
  await page.locator('#optimize-frontier').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${dir}/viewer-frontier.png` });
  // the current map as a PNG
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.click('#map-png')]);
  const png = await download.path().then(p => import('node:fs').then(fs => fs.readFileSync(p)));
  if (png.length < 20000 || png.readUInt32BE(0) !== 0x89504e47) fail(`the map PNG is ${png.length} bytes, not a PNG of the map`);
  // the print view of the current map
  const print = await page.evaluate(() => [document.getElementById('print-a4').href, document.getElementById('print-a3').href]);
  for (const href of print) {
    if (!/\/print\?bbox=[-0-9.]+,[-0-9.]+,[-0-9.]+,[-0-9.]+&size=A[34]/.test(href)) fail(`the print link is ${href}`);
    const r = await fetch(href);
    if (!r.ok || r.headers.get('content-type') !== 'application/pdf') fail(`the print view ${href}: ${r.status}`);
  }
  for (const e of errors) fail(e);
  console.log(`viewer tables: ${t.rows} parks, ${n} flows`);
} finally {
  await browser.close();
}
