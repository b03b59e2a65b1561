/* gisd's viewer: the planning style over this server's own vector tiles,
 * layer toggles with a legend, feature attributes on click, a panel that
 * runs the planning analyses and draws their answer (f=geojson) on the map,
 * and one that runs the layout optimisations as OGC API processes (an
 * asynchronous job with its progress) and draws their layouts and the heat
 * extension's frontier. */
'use strict';

/* One toggle per planning layer: the style layers it shows and its legend. */
const GROUPS = [
  { id: 'districts', title: '行政区 Districts', layers: ['districts-fill', 'districts-line', 'districts-label'], swatch: ['#8c8c8c', 'line'] },
  { id: 'zones', title: '用地 Land-use zones (GB 50137)', layers: ['zones-fill'], swatch: ['#b08050', 'box'],
    legend: [['M1', '#d2b48c'], ['M2', '#b08050'], ['M3', '#8b5a2b'], ['W1', '#9f7fff'], ['U2', '#0080c0'], ['R2', '#ffff66'], ['G1', '#33cc33'], ['A', '#ff7fbf']] },
  { id: 'sensitive_areas', title: '敏感区 Sensitive and protected areas', layers: ['sensitive-fill', 'sensitive-line'], swatch: ['#e84a5f', 'box'],
    legend: [['居住 residential', '#f5c26b'], ['学校 school', '#ff8c69'], ['医院 hospital', '#e84a5f'], ['基本农田 farmland', '#b5d99c'], ['水源地 water source', '#6ec6ff'], ['生态红线 eco red line', '#2e8b57']] },
  { id: 'parks', title: '园区 Industrial parks', layers: ['parks-fill', 'parks-line', 'parks-label'], swatch: ['#c62828', 'line'],
    legend: [['国家级 national', '#c62828'], ['省级 provincial', '#ef6c00']] },
  { id: 'heat_network', title: '热网 Heat network', layers: ['heat-network'], swatch: ['#e4572e', 'line'] },
  { id: 'heat_sources', title: '热源 Heat sources', layers: ['heat-sources', 'heat-sources-label'], swatch: ['#d7263d', 'dot'] },
  { id: 'enterprises', title: '企业 Enterprises', layers: ['enterprises', 'enterprises-coal'], swatch: ['#4a78d0', 'dot'],
    legend: [['燃煤锅炉 coal boiler', '#111111'], ['其他 other', '#4a78d0']] },
  { id: 'recycling_points', title: '回收网点 Recycling network', layers: ['recycling-points'], swatch: ['#43a047', 'dot'],
    legend: [['社区 community', '#43a047'], ['中转 transit', '#fb8c00'], ['分拣 sorting', '#8e24aa']] },
  { id: 'hw_facilities', title: '危废处置 Hazardous-waste facilities', layers: ['hw-facilities', 'hw-facilities-label'], swatch: ['#ffd600', 'dot'] },
  { id: 'communities', title: '社区 Communities', layers: ['communities'], swatch: ['#9e9e9e', 'dot'] },
];

/* The analyses' parameters come from their process descriptions (the
 * catalog: names, kinds, limits, defaults); here only their Chinese labels.
 * site-check's fields are properties of the site drawn, not parameters. */
const PARAM_LABELS = {
  radius_m: '半径 radius (m)', park_id: '园区 park id', max_km: '最大距离 max (km)',
  capable: '须具备处置能力 capable only', level: '级别 level',
};
const SITE_FIELDS = [['project_class', '项目类别 project class', 'M2'], ['coal_boiler_tph', '燃煤锅炉 coal boiler (t/h)', '0'],
                     ['site_m', '用地边长 site side (m)', '300']];
let analysisParams = [];
let paramsReady = Promise.resolve(); /* the form being drawn for the analysis chosen */

/* ?style=recycling shows another style of /styles; the toggles skip layers it lacks. */
const styleName = (new URLSearchParams(location.search).get('style') || 'planning').replace(/[^\w-]/g, '');
const map = new maplibregl.Map({
  container: 'map',
  style: `/styles/${styleName}.json`,
  localIdeographFontFamily: '"Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif',
  canvasContextAttributes: { preserveDrawingBuffer: true },
  attributionControl: { compact: true },
});
window.gisdMap = map;
map.addControl(new maplibregl.NavigationControl(), 'top-left');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));

function swatch(color, kind) {
  const s = document.createElement('span');
  s.className = 'swatch ' + (kind || 'box');
  s.style.background = color;
  return s;
}

function buildLayerList() {
  const ul = document.getElementById('layers');
  for (const g of GROUPS) {
    const li = document.createElement('li');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = true;
    box.id = 'toggle-' + g.id;
    box.addEventListener('change', () => {
      for (const id of g.layers)
        if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', box.checked ? 'visible' : 'none');
    });
    const label = document.createElement('label');
    label.htmlFor = box.id;
    label.textContent = g.title;
    li.append(box, swatch(g.swatch[0], g.swatch[1]), label);
    ul.append(li);
    if (g.legend) {
      const lg = document.createElement('div');
      lg.className = 'legend';
      for (const [name, color] of g.legend) {
        const item = document.createElement('span');
        item.append(swatch(color, 'box'), document.createTextNode(name));
        lg.append(item);
      }
      ul.append(lg);
    }
  }
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

function showAttributes(e) {
  const hits = map.queryRenderedFeatures(e.point).filter(f => f.source === 'gisd' && f.sourceLayer);
  if (!hits.length) return;
  /* points and lines before the areas they lie in */
  const order = { Point: 0, LineString: 1, MultiLineString: 1 };
  hits.sort((a, b) => (order[a.geometry.type] ?? 2) - (order[b.geometry.type] ?? 2));
  const f = hits[0];
  const group = GROUPS.find(g => g.id === f.sourceLayer);
  const rows = Object.entries(f.properties)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  new maplibregl.Popup({ maxWidth: '340px' })
    .setLngLat(e.lngLat)
    .setHTML(`<strong>${escapeHtml(group ? group.title : f.sourceLayer)}</strong><table>${rows}</table>`)
    .addTo(map);
}

/* ---- the analysis panel ---- */

let pendingSite = null;

async function renderParams() {
  const name = document.getElementById('analysis-name').value;
  const box = document.getElementById('analysis-params');
  const desc = await fetch('/processes/' + name).then(r => r.json());
  box.textContent = '';
  analysisParams = [];
  const fields = [];
  for (const [key, input] of Object.entries(desc.inputs || {})) {
    if (['format', 'analysis_crs', 'site'].includes(key)) continue;
    const s = input.schema || {};
    analysisParams.push(key);
    fields.push([key, PARAM_LABELS[key] || key, s.default !== undefined ? String(s.default) : '', s, input]);
  }
  if (name === 'site-check')
    for (const [key, title, value] of SITE_FIELDS) fields.push([key, title, value, {}, {}]);
  for (const [key, title, value, s, input] of fields) {
    const label = document.createElement('label');
    label.textContent = title + (input.minOccurs ? ' *' : '');
    let el;
    if (s.enum) {
      el = document.createElement('select');
      for (const v of s.enum) el.add(new Option(v, v));
    } else if (s.type === 'boolean') {
      el = document.createElement('select');
      for (const v of ['false', 'true']) el.add(new Option(v, v));
    } else {
      el = document.createElement('input');
      if (s.type === 'number' || s.type === 'integer') {
        el.type = 'number';
        if (s.minimum !== undefined) el.min = s.minimum;
        if (s.maximum !== undefined) el.max = s.maximum;
      }
    }
    el.id = 'param-' + key;
    el.value = value;
    el.title = input.description || '';
    label.append(el);
    box.append(label);
  }
  if (name === 'site-check') {
    const hint = document.createElement('p');
    hint.textContent = '点击地图放置用地 Click the map to place the site.';
    box.append(hint);
  }
}

function squareSite(lngLat, side) {
  const dLat = side / 2 / 111320;
  const dLon = dLat / Math.cos(lngLat.lat * Math.PI / 180);
  const { lng, lat } = lngLat;
  return [[[lng - dLon, lat - dLat], [lng + dLon, lat - dLat], [lng + dLon, lat + dLat], [lng - dLon, lat + dLat], [lng - dLon, lat - dLat]]];
}

function param(key) {
  const el = document.getElementById('param-' + key);
  return el ? el.value.trim() : '';
}

async function runAnalysis() {
  await paramsReady;
  const name = document.getElementById('analysis-name').value;
  const out = document.getElementById('analysis-result');
  const query = new URLSearchParams();
  let init = {};
  if (name === 'site-check') {
    if (!pendingSite) { out.textContent = '请先点击地图放置用地 Click the map to place the site first.'; return; }
    const feature = {
      type: 'Feature',
      properties: { id: 'viewer-site', project_class: param('project_class'), coal_boiler_tph: Number(param('coal_boiler_tph') || 0) },
      geometry: { type: 'Polygon', coordinates: squareSite(pendingSite, Number(param('site_m') || 300)) },
    };
    init = { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(feature) };
  } else {
    for (const key of analysisParams) if (param(key)) query.set(key, param(key));
  }
  out.textContent = '…';
  const base = '/analysis/' + name + '?' + query.toString();
  const [answer, view] = await Promise.all([
    fetch(base, init).then(r => r.json()),
    fetch(base + (query.toString() ? '&' : '') + 'f=geojson', init).then(r => r.json()),
  ]);
  out.textContent = JSON.stringify(answer, null, 1);
  drawLegend(name === 'symbiosis' ? answer.byproducts || [] : []);
  if (view.type === 'FeatureCollection') map.getSource('analysis').setData(view);
  window.gisdAnalysis = view;
}

/* symbiosis: one colour per by-product for its links, and a legend with its
 * counts; unmatched demands are red points, unused supplies grey */
function drawLegend(byproducts) {
  const colour = ['match', ['get', 'byproduct']];
  byproducts.forEach((b, i) => colour.push(b.byproduct, PALETTE[i % PALETTE.length]));
  colour.push('#006064');
  map.setPaintProperty('analysis-line', 'line-color', byproducts.length ? colour
    : ['case', ['==', ['get', 'beyond_max'], true], '#d50000', '#006064']);
  map.setPaintProperty('analysis-point', 'circle-color', byproducts.length
    ? ['match', ['get', 'kind'], 'unmatched', '#d50000', 'unused', '#9e9e9e', '#00e5ff'] : '#00e5ff');
  const legend = document.getElementById('analysis-legend');
  legend.innerHTML = byproducts.map((b, i) =>
    `<span class="byproduct"><i class="swatch line" style="background:${PALETTE[i % PALETTE.length]}"></i>` +
    `${escapeHtml(b.byproduct)} ${b.links}/${b.links + b.unmatched}</span>`).join('') +
    (byproducts.length ? '<span><i class="swatch dot" style="background:#d50000"></i>未匹配 unmatched</span>' +
                         '<span><i class="swatch dot" style="background:#9e9e9e"></i>未利用 unused</span>' : '');
}

function addAnalysisLayers() {
  map.addSource('analysis', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'analysis-fill', type: 'fill', source: 'analysis', filter: ['==', ['geometry-type'], 'Polygon'],
                 paint: { 'fill-color': '#00b8d4', 'fill-opacity': 0.25 } });
  map.addLayer({ id: 'analysis-line', type: 'line', source: 'analysis',
                 paint: { 'line-color': ['case', ['==', ['get', 'beyond_max'], true], '#d50000', '#006064'], 'line-width': 2 } });
  map.addLayer({ id: 'analysis-point', type: 'circle', source: 'analysis', filter: ['==', ['geometry-type'], 'Point'],
                 paint: { 'circle-color': '#00e5ff', 'circle-radius': 6, 'circle-stroke-color': '#004d40', 'circle-stroke-width': 2 } });
}

function clearAnalysis() {
  map.getSource('analysis').setData({ type: 'FeatureCollection', features: [] });
  document.getElementById('analysis-result').textContent = '';
  drawLegend([]);
  pendingSite = null;
}

map.on('load', async () => {
  addAnalysisLayers();
  const tj = await fetch('/tiles/all.json').then(r => r.json());
  if (tj.bounds) map.fitBounds([[tj.bounds[0], tj.bounds[1]], [tj.bounds[2], tj.bounds[3]]], { padding: 20, duration: 0 });
  document.body.dataset.ready = 'true';
});

map.on('click', e => {
  if (document.getElementById('analysis-name').value === 'site-check') {
    pendingSite = e.lngLat;
    map.getSource('analysis').setData({ type: 'FeatureCollection', features: [
      { type: 'Feature', properties: { kind: 'site' }, geometry: { type: 'Polygon', coordinates: squareSite(e.lngLat, Number(param('site_m') || 300)) } }] });
    return;
  }
  showAttributes(e);
});

/* ---- the optimisation panel: inputs from the process description (the
 * same parameter table as the command line), run as an asynchronous job
 * with its progress, drawn from the format=geojson answer ---- */
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c',
                 '#008080', '#9a6324', '#800000', '#808000', '#000075'];

async function renderOptimizeParams() {
  const name = document.getElementById('optimize-name').value;
  const box = document.getElementById('optimize-params');
  const desc = await fetch('/processes/' + name).then(r => r.json());
  box.innerHTML = '';
  for (const [key, input] of Object.entries(desc.inputs)) {
    if (['format', 'analysis_crs', 'candidates'].includes(key)) continue;
    const s = input.schema || {};
    const label = document.createElement('label');
    label.textContent = key + (input.minOccurs ? ' *' : '') + ' ';
    let el;
    if (s.enum) {
      el = document.createElement('select');
      for (const v of s.enum) el.add(new Option(v, v));
    } else {
      el = document.createElement('input');
      el.type = s.type === 'boolean' ? 'text' : (s.type === 'string' ? 'text' : 'number');
      if (s.minimum !== undefined) el.min = s.minimum;
      if (s.maximum !== undefined) el.max = s.maximum;
    }
    if (s.default !== undefined) el.value = String(s.default);
    /* a first run that shows something: ten points, five centres, a 20 km budget and its curve */
    const first = { p: name === 'recycling-siting' ? 10 : 5, budget_km: 20, frontier: 9 };
    if (!el.value && first[key] !== undefined && (input.minOccurs || key === 'frontier' || key === 'p')) el.value = first[key];
    el.id = 'opt-' + key;
    el.title = input.description || '';
    label.appendChild(el);
    box.appendChild(label);
  }
}

function optimizeInputs() {
  const inputs = { format: 'geojson' };
  for (const el of document.querySelectorAll('#optimize-params input, #optimize-params select')) {
    if (el.value === '') continue;
    const key = el.id.slice(4);
    inputs[key] = el.type === 'number' ? Number(el.value) : (el.value === 'true' ? true : el.value === 'false' ? false : el.value);
  }
  return inputs;
}

function drawFrontier(frontier) {
  const svg = document.getElementById('optimize-frontier');
  if (!frontier || !frontier.length) { svg.style.display = 'none'; return; }
  const W = 290, H = 150, L = 34, B = 24;
  const maxX = Math.max(...frontier.map(p => p.budget_km)) || 1, maxY = Math.max(...frontier.map(p => p.tph_retired)) || 1;
  const x = v => L + (W - L - 8) * v / maxX, y = v => H - B - (H - B - 8) * v / maxY;
  const pts = frontier.map(p => `${x(p.budget_km).toFixed(1)},${y(p.tph_retired).toFixed(1)}`).join(' ');
  svg.innerHTML = `<line x1="${L}" y1="${H - B}" x2="${W - 4}" y2="${H - B}" stroke="#999"/>` +
    `<line x1="${L}" y1="4" x2="${L}" y2="${H - B}" stroke="#999"/>` +
    `<polyline points="${pts}" fill="none" stroke="#d50000" stroke-width="2"/>` +
    frontier.map(p => `<circle cx="${x(p.budget_km).toFixed(1)}" cy="${y(p.tph_retired).toFixed(1)}" r="2.5" fill="#d50000"/>`).join('') +
    `<text x="${L}" y="${H - 6}">0</text><text x="${W - 60}" y="${H - 6}">${maxX.toFixed(1)} km</text>` +
    `<text x="2" y="12">${Math.round(maxY)} t/h</text>`;
  svg.style.display = 'block';
}

function drawOptimization(fc) {
  const answer = fc.answer || {};
  const sites = (answer.selected || []).map(s => (typeof s === 'string' ? s : s.ent_id));
  const colour = ['match', ['get', 'site_id']];
  sites.forEach((id, i) => colour.push(id, PALETTE[i % PALETTE.length]));
  colour.push('#9e9e9e');
  map.getSource('optimize').setData(fc);
  map.setPaintProperty('optimize-point', 'circle-color',
    ['case', ['==', ['get', 'kind'], 'community'], sites.length ? colour : '#9e9e9e',
     ['==', ['get', 'kind'], 'uncoverable'], '#000000', ['==', ['get', 'kind'], 'unserved'], '#d50000',
     ['==', ['get', 'kind'], 'boiler_left'], '#795548', '#ffd600']);
  /* the legend names the colours of the sites communities are served by */
  const bySite = fc.features.some(f => f.properties.site_id);
  const legend = document.getElementById('optimize-legend');
  legend.innerHTML = !bySite ? '' : sites.slice(0, 13).map((id, i) =>
    `<span><i class="swatch dot" style="background:${PALETTE[i % PALETTE.length]}"></i>${id}</span>`).join('');
  drawFrontier(answer.frontier);
  document.getElementById('optimize-result').textContent = JSON.stringify(
    Object.fromEntries(Object.entries(answer).filter(([k]) => !['flows', 'facilities', 'sites'].includes(k))), null, 1);
}

async function runOptimization() {
  const name = document.getElementById('optimize-name').value;
  const bar = document.getElementById('optimize-progress');
  const out = document.getElementById('optimize-result');
  bar.value = 0;
  out.textContent = '…';
  const created = await fetch('/processes/' + name + '/execution', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
    body: JSON.stringify({ inputs: optimizeInputs() }) });
  const job = await created.json();
  if (created.status !== 201) { out.textContent = JSON.stringify(job, null, 1); return; }
  let status = job;
  while (['accepted', 'running'].includes(status.status)) {
    await new Promise(r => setTimeout(r, 300));
    status = await fetch('/jobs/' + job.jobID).then(r => r.json());
    bar.value = status.progress;
  }
  const result = await fetch('/jobs/' + job.jobID + '/results').then(r => r.json());
  if (status.status !== 'successful') { out.textContent = JSON.stringify(result, null, 1); return; }
  drawOptimization(result);
  window.gisdOptimization = result;
}

function addOptimizeLayers() {
  map.addSource('optimize', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'optimize-line', type: 'line', source: 'optimize', filter: ['==', ['geometry-type'], 'LineString'],
                 paint: { 'line-color': ['case', ['==', ['get', 'kind'], 'spur'], '#d50000', '#6a1b9a'],
                          'line-width': ['interpolate', ['linear'], ['coalesce', ['get', 'tonnes'], 200], 0, 1, 200, 2, 2000, 6] } });
  map.addLayer({ id: 'optimize-point', type: 'circle', source: 'optimize', filter: ['==', ['geometry-type'], 'Point'],
                 paint: { 'circle-color': '#ffd600', 'circle-stroke-color': '#333', 'circle-stroke-width': 1,
                          'circle-radius': ['case', ['in', ['get', 'kind'], ['literal', ['selected', 'site', 'facility']]], 8, 4] } });
}
map.on('load', addOptimizeLayers);

buildLayerList();
paramsReady = renderParams();
document.getElementById('analysis-name').addEventListener('change', () => { paramsReady = renderParams(); });
document.getElementById('analysis-run').addEventListener('click', () => runAnalysis().catch(err => {
  document.getElementById('analysis-result').textContent = String(err);
}));
document.getElementById('analysis-clear').addEventListener('click', clearAnalysis);
renderOptimizeParams();
document.getElementById('optimize-name').addEventListener('change', renderOptimizeParams);
document.getElementById('optimize-run').addEventListener('click', () => runOptimization().catch(err => {
  document.getElementById('optimize-result').textContent = String(err);
}));
