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
 * site-check's class is chosen by its title from the server's rules. */
const PARAM_LABELS = {
  radius_m: '半径 radius (m)', park_id: '园区 park id', max_km: '最大距离 max (km)',
  capable: '须具备处置能力 capable only', level: '级别 level',
  distance: '距离 distance (直线 euclidean / 路网 network)', snap_max_m: '接入路网最远 snap max (m)',
  from: '起点 from', to: '终点 to', mode: '方式 mode (步行 walk / 车行 drive / 危货 hazmat)',
  exposure_m: '沿线影响范围 exposure (m)', max_m: '最远 max (m)', unreachable: '不可达社区 unreachable',
  project_class: '项目类别 project class', coal_boiler_tph: '燃煤锅炉 coal boiler (t/h)', site_m: '方形用地边长 square site side (m)',
  p: '数量 p（新设点数）', existing: '现有回收点 existing points', exclude_protected: '避开保护区 exclude protected areas',
  time_limit_s: '求解时限 time limit (s)', budget_km: '管网预算 budget (km)', frontier: '前沿点数 frontier points',
  candidates: '候选点文件 candidates (GeoJSON)',
};
let analysisParams = [];
let routeEnds = []; /* the ends of a route clicked so far */
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

/* the site to check: a Feature placed or drawn on the map, or a file as an
 * office sends it (GeoJSON, zipped shapefile, DXF, KML, GeoPackage, 界址点 TXT) */
let pendingSite = null;
let siteRules = null;

async function renderParams() {
  const name = document.getElementById('analysis-name').value;
  const box = document.getElementById('analysis-params');
  const desc = await fetch('/processes/' + name).then(r => r.json());
  if (name === 'site-check' && !siteRules) siteRules = await fetch('/site-rules').then(r => r.json());
  box.textContent = '';
  analysisParams = [];
  const fields = [];
  for (const [key, input] of Object.entries(desc.inputs || {})) {
    /* srs: what the map draws is lon/lat, and a file states its own */
    if (['format', 'analysis_crs', 'site', 'srs'].includes(key)) continue;
    const s = Object.assign({}, input.schema || {});
    analysisParams.push(key);
    let value = s.default !== undefined ? String(s.default) : '';
    if (name === 'site-check' && key === 'project_class') {
      s.enum = siteRules.classes.map(c => c.id);
      s.titles = siteRules.classes.map(c => `${c.title} ${c.id}`);
      value = s.enum.includes('M2') ? 'M2' : s.enum[0];
    }
    if (name === 'site-check' && key === 'coal_boiler_tph') value = '0';
    fields.push([key, PARAM_LABELS[key] || key, value, s, input]);
  }
  if (name === 'site-check') fields.push(['site_m', PARAM_LABELS.site_m, '300', { type: 'number', minimum: 10 }, {}]);
  for (const [key, title, value, s, input] of fields) {
    const label = document.createElement('label');
    label.textContent = title + (input.minOccurs ? ' *' : '');
    let el;
    if (s.enum) {
      el = document.createElement('select');
      s.enum.forEach((v, i) => el.add(new Option(s.titles ? s.titles[i] : v, v)));
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
  document.getElementById('site-tools').hidden = name !== 'site-check';
  if (name === 'site-check' || name in ROUTE_HINTS) {
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.textContent = name === 'site-check'
      ? '点击地图放置方形用地、绘制用地边界，或上传用地文件 Click the map for a square site, draw its boundary, or upload the file.'
      : ROUTE_HINTS[name];
    box.append(hint);
  }
  routeEnds = [];
}

/* route and service-area: their ends are clicked on the map, a feature of
 * these layers by its id (LAYER:ID), anywhere else as lon,lat */
const ROUTE_HINTS = {
  'route': '在地图上依次点击起点和终点（企业、危废设施、社区或回收点） Click the start, then the end: an enterprise, facility, community or recycling point, or any place.',
  'service-area': '点击回收点查看步行服务范围 Click a recycling point (or any place) for what it reaches.',
};
const END_LAYERS = { 'enterprises': 'ent_id', 'hw-facilities': 'facility_id', 'communities': 'community_id', 'recycling-points': 'point_id' };

function endAt(e) {
  const layers = Object.keys(END_LAYERS).filter(id => map.getLayer(id));
  const hit = map.queryRenderedFeatures(e.point, { layers })[0];
  if (hit) return hit.sourceLayer + ':' + hit.properties[END_LAYERS[hit.layer.id]];
  return e.lngLat.lng.toFixed(6) + ',' + e.lngLat.lat.toFixed(6);
}

function pickEnd(e) {
  const name = document.getElementById('analysis-name').value;
  const end = endAt(e);
  if (name === 'service-area') {
    document.getElementById('param-from').value = end;
    runAnalysis().catch(err => { document.getElementById('analysis-result').textContent = String(err); });
    return;
  }
  routeEnds = routeEnds.length >= 2 ? [end] : routeEnds.concat([end]);
  document.getElementById('param-from').value = routeEnds[0];
  document.getElementById('param-to').value = routeEnds[1] || '';
  if (routeEnds.length === 2)
    runAnalysis().catch(err => { document.getElementById('analysis-result').textContent = String(err); });
  else
    document.getElementById('analysis-result').textContent = '起点 from ' + end + ' — 请点击终点 now click the end';
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
    if (!pendingSite) { out.textContent = '请先放置、绘制或上传用地 Place, draw or upload the site first.'; return; }
    for (const key of analysisParams) if (param(key)) query.set(key, param(key));
    init = { method: 'POST', headers: { 'Content-Type': pendingSite.type }, body: pendingSite.body };
  } else {
    for (const key of analysisParams) if (param(key)) query.set(key, param(key));
  }
  out.textContent = '…';
  const base = prefix() + '/analysis/' + name + '?' + query.toString();
  const [answer, view] = await Promise.all([
    fetch(base, init).then(r => r.json()),
    fetch(base + (query.toString() ? '&' : '') + 'f=geojson', init).then(r => r.json()),
  ]);
  out.textContent = answer.code ? answer.description : routeSummary(name, answer) + JSON.stringify(answer, null, 1);
  const q = query.toString() ? '&' : '';
  renderAnswer(document.getElementById('analysis-table'), answer, name === 'site-check' ? [] :
    [['CSV', base + q + 'f=csv'], ['Excel', base + q + 'f=xlsx'], ['GeoJSON', base + q + 'f=geojson']]);
  if (!answer.code && routeSummary(name, answer))
    document.getElementById('analysis-table').prepend(Object.assign(document.createElement('p'), { textContent: routeSummary(name, answer) }));
  drawLegend(name === 'symbiosis' ? answer.byproducts || [] : []);
  if (name !== 'symbiosis' && view.type === 'FeatureCollection') drawKindLegend(view);
  if (name === 'site-check') siteTable(answer, base, init);
  if (view.type === 'FeatureCollection') map.getSource('analysis').setData(view);
  window.gisdAnalysis = view;
}

/* Answers as tables: the Chinese of their keys comes from the server
 * (GET /labels), the same words as the downloaded tables' headers. */
let LABELS = {};
fetch('/labels').then(r => r.json()).then(l => { LABELS = l; }).catch(() => {});
/* each part of a nested key in Chinese when known: total.area_km2 → 合计 面积(km²) */
const labelOf = key => { const parts = key.split('.').map(p => LABELS[p]).filter(Boolean);
                         return parts.length ? parts.join(' ') : key; };

/* The answer's main list: its longest list of objects, or the candidates an
 * optimisation selected; as the server's tables choose it. */
function mainList(a) {
  let best = null;
  for (const [k, v] of Object.entries(a))
    if (Array.isArray(v) && v.length && v[0] && typeof v[0] === 'object' && !Array.isArray(v[0]) && k !== 'features' &&
        (!best || v.length > a[best].length)) best = k;
  if (!best && Array.isArray(a.selected) && a.selected.length) best = 'selected';
  return best;
}

function flatten(obj, prefix, out) {
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'geometry' || k === 'route') continue;
    const name = prefix ? prefix + '.' + k : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, name, out);
    else out[name] = v;
  }
  return out;
}

function cellText(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? '是' : '否';
  if (typeof v === 'number') return v.toLocaleString('zh-CN', { maximumFractionDigits: 4 });
  if (Array.isArray(v)) return v.length > 12 ? v.slice(0, 12).join('、') + `…（共 ${v.length} 个）` : v.join('、');
  return String(v);
}

/* Writes answer into el: the scalars as a summary, the main list as a
 * table whose headers sort it, and the answer's downloads (links: [[label, href], ...]). */
function renderAnswer(el, answer, links) {
  el.innerHTML = '';
  if (!answer || answer.code) { el.textContent = answer ? answer.description : ''; return; }
  const key = mainList(answer);
  const rest = Object.fromEntries(Object.entries(answer).filter(([k, v]) => k !== key && k !== 'frontier' &&
                                                                        !(Array.isArray(v) && v.length > 30)));
  const summary = flatten(rest, '', {});
  const sum = document.createElement('table');
  sum.className = 'summary';
  sum.innerHTML = Object.entries(summary).map(([k, v]) =>
    `<tr><th>${escapeHtml(labelOf(k))}</th><td class="${typeof v === 'number' ? 'num' : ''}">${escapeHtml(cellText(v))}</td></tr>`).join('');
  el.append(sum);
  if (key) {
    const items = answer[key];
    const rows = items.map(it => (it && typeof it === 'object') ? flatten(it, '', {}) : { [key]: it });
    const cols = [...new Set(rows.flatMap(r => Object.keys(r)))];
    const h = document.createElement('h3');
    h.textContent = `${labelOf(key)}（${items.length}）`;
    el.append(h);
    const box = document.createElement('div');
    box.className = 'list';
    const t = document.createElement('table');
    t.dataset.list = key;
    const shown = 500;
    const body = () => rows.slice(0, shown).map(r => '<tr>' + cols.map(c =>
      `<td class="${typeof r[c] === 'number' ? 'num' : ''}">${escapeHtml(cellText(r[c]))}</td>`).join('') + '</tr>').join('');
    t.innerHTML = '<thead><tr>' + cols.map(c => `<th data-col="${escapeHtml(c)}">${escapeHtml(labelOf(c))}</th>`).join('') +
      '</tr></thead><tbody>' + body() + '</tbody>';
    t.querySelectorAll('thead th').forEach(th => th.addEventListener('click', () => {
      const c = th.dataset.col, down = th.dataset.sort === ' ▲';
      rows.sort((a, b) => {
        const x = a[c], y = b[c];
        const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''), 'zh-CN');
        return down ? -d : d;
      });
      t.querySelectorAll('thead th').forEach(o => { delete o.dataset.sort; });
      th.dataset.sort = down ? ' ▼' : ' ▲';
      t.tBodies[0].innerHTML = body();
    }));
    box.append(t);
    el.append(box);
    if (items.length > shown) {
      const more = document.createElement('p');
      more.className = 'hint';
      more.textContent = `表中列出前 ${shown} 行；下载可得全部 ${items.length} 行。`;
      el.append(more);
    }
  }
  const dl = document.createElement('p');
  dl.className = 'downloads';
  dl.innerHTML = '下载 ' + links.map(([name, href]) => `<a href="${escapeHtml(href)}" download>${name}</a>`).join('');
  el.append(dl);
}

/* What a planner reads first of a route or a catchment, in Chinese first. */
function routeSummary(name, a) {
  if (name === 'route' && a.distance_m !== undefined)
    return `路程 ${(a.distance_m / 1000).toFixed(2)} km；沿线 ${param('exposure_m') || 500} m 内社区 ${a.communities_exposed.length} 个、` +
      `${a.households_exposed} 户；穿越敏感区 ${a.sensitive_crossed.length ? a.sensitive_crossed.join('、') : '无'}\n\n`;
  if (name === 'service-area' && a.reached_km !== undefined)
    return `${a.max_m} m 内可达道路 ${a.reached_km.toFixed(2)} km，覆盖社区 ${a.communities} 个、${a.households} 户\n\n`;
  return '';
}

/* symbiosis: one colour per by-product for its links, and a legend with its
 * counts; unmatched demands are red points, unused supplies grey */
function drawLegend(byproducts) {
  const colour = ['match', ['get', 'byproduct']];
  byproducts.forEach((b, i) => colour.push(b.byproduct, PALETTE[i % PALETTE.length]));
  colour.push('#006064');
  map.setPaintProperty('analysis-line', 'line-color', byproducts.length ? colour
    : ['match', ['get', 'kind'], 'route', '#6a1b9a', 'service_area', '#2e7d32',
       ['case', ['==', ['get', 'beyond_max'], true], '#d50000', '#006064']]);
  map.setPaintProperty('analysis-point', 'circle-color', byproducts.length
    ? ['match', ['get', 'kind'], 'unmatched', '#d50000', 'unused', '#9e9e9e', '#00e5ff'] : '#00e5ff');
  const legend = document.getElementById('analysis-legend');
  legend.innerHTML = byproducts.map((b, i) =>
    `<span class="byproduct"><i class="swatch line" style="background:${PALETTE[i % PALETTE.length]}"></i>` +
    `${escapeHtml(b.byproduct)} ${b.links}/${b.links + b.unmatched}</span>`).join('') +
    (byproducts.length ? '<span><i class="swatch dot" style="background:#d50000"></i>未匹配 unmatched</span>' +
                         '<span><i class="swatch dot" style="background:#9e9e9e"></i>未利用 unused</span>' : '');
}

/* What each kind of feature an analysis draws means, in the colours the
 * analysis layers give it: the legend of the map of the answer. */
const KIND_LEGEND = {
  coverage: ['fill', '#00b8d4', '供热覆盖范围 heating coverage'],
  coal_boiler: ['dot', '#00e5ff', '覆盖内燃煤锅炉 coal boiler in coverage'],
  link: ['line', '#006064', '至最近处置设施 to the nearest facility'],
  uncovered: ['dot', '#00e5ff', '未覆盖社区 uncovered community'],
  route: ['line', '#6a1b9a', '路线 route'],
  service_area: ['line', '#2e7d32', '步行可达道路 roads reached'],
  site: ['fill', '#00b8d4', '用地 site'],
};
function drawKindLegend(view) {
  const kinds = new Set(view.features.map(f => f.properties && f.properties.kind));
  const beyond = view.features.some(f => f.properties && f.properties.beyond_max === true);
  const entries = [...kinds].filter(k => KIND_LEGEND[k]).map(k => KIND_LEGEND[k]);
  if (beyond) entries.push(['line', '#d50000', '超出最大距离 beyond max']);
  document.getElementById('analysis-legend').innerHTML = entries.map(([shape, colour, label]) =>
    `<span data-kind><i class="swatch ${shape === 'fill' ? '' : shape}" style="background:${colour}"></i>${escapeHtml(label)}</span>`).join('');
}

function addAnalysisLayers() {
  map.addSource('analysis', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'analysis-fill', type: 'fill', source: 'analysis', filter: ['==', ['geometry-type'], 'Polygon'],
                 paint: { 'fill-color': '#00b8d4', 'fill-opacity': 0.25 } });
  map.addLayer({ id: 'analysis-line', type: 'line', source: 'analysis',
                 paint: { 'line-color': ['match', ['get', 'kind'], 'route', '#6a1b9a', 'service_area', '#2e7d32',
                                         ['case', ['==', ['get', 'beyond_max'], true], '#d50000', '#006064']],
                          'line-width': ['match', ['get', 'kind'], 'route', 5, 'service_area', 4, 2] } });
  map.addLayer({ id: 'analysis-point', type: 'circle', source: 'analysis', filter: ['==', ['geometry-type'], 'Point'],
                 paint: { 'circle-color': '#00e5ff', 'circle-radius': 6, 'circle-stroke-color': '#004d40', 'circle-stroke-width': 2 } });
}

function clearAnalysis() {
  map.getSource('analysis').setData({ type: 'FeatureCollection', features: [] });
  document.getElementById('analysis-result').textContent = '';
  document.getElementById('analysis-table').innerHTML = '';
  drawLegend([]);
  pendingSite = null;
  document.getElementById('site-table').textContent = '';
  document.getElementById('site-pdf').hidden = true;
}

map.on('load', async () => {
  addAnalysisLayers();
  const tj = await fetch('/tiles/all.json').then(r => r.json());
  if (tj.bounds) map.fitBounds([[tj.bounds[0], tj.bounds[1]], [tj.bounds[2], tj.bounds[3]]], { padding: 20, duration: 0 });
  document.body.dataset.ready = 'true';
});

map.on('click', e => {
  if (window.gisdDrawing) return; /* terra-draw has the click */
  if (document.getElementById('analysis-name').value in ROUTE_HINTS) {
    pickEnd(e);
    return;
  }
  if (document.getElementById('analysis-name').value === 'site-check') {
    placeSite({ type: 'Polygon', coordinates: squareSite(e.lngLat, Number(param('site_m') || 300)) });
    return;
  }
  showAttributes(e);
});

/* ---- site check: the site placed, drawn or uploaded, its verdict as a
 * table a land bureau reads (rule, 合规, evidence), and the opinion as PDF ---- */
const RULE_TITLES = { inside_park: '位于园区内 inside a park', land_use: '用地性质相符 land use',
                      setback: '防护距离 setback', protected_areas: '避让保护区 protected areas',
                      central_heating: '集中供热 central heating' };

const KIND_TITLES = { residential: '居住区', school: '学校', hospital: '医院' };

function placeSite(geometry) {
  const feature = { type: 'Feature', properties: { id: 'viewer-site' }, geometry };
  pendingSite = { type: 'application/geo+json', body: JSON.stringify(feature), name: '地图用地 map site' };
  map.getSource('analysis').setData({ type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { kind: 'site' }, geometry }] });
}

async function uploadSite(file) {
  const body = await file.arrayBuffer();
  pendingSite = { type: 'application/octet-stream', body, name: file.name };
  document.getElementById('analysis-result').textContent = '已上传 uploaded ' + file.name;
}

function evidence(rule) {
  const m = v => `${Math.round(v)} m`;
  switch (rule.rule) {
    case 'inside_park': return rule.park_id ? '园区 ' + rule.park_id : '不在任何园区内 outside every park';
    case 'land_use': return (rule.zones || []).map(z => `${z.zone_id} ${z.land_use}`).join('、') || '无规划用地 no zone';
    case 'setback': {
      const parts = [`要求 ${m(rule.required_m)}`];
      if (rule.nearest) parts.push(`最近${KIND_TITLES[rule.nearest.kind] || rule.nearest.kind} ${rule.nearest.area_id} ${m(rule.nearest.distance_m)}`);
      if (rule.nearest_residential_zone)
        parts.push(`居住用地 ${rule.nearest_residential_zone.zone_id} ${m(rule.nearest_residential_zone.distance_m)}`);
      return parts.join('；');
    }
    case 'protected_areas': return (rule.overlaps || []).length ? '占用 ' + rule.overlaps.map(o => o.area_id || o).join('、') : '无占用 none';
    case 'central_heating': return rule.nearest_pipe_m !== undefined && rule.nearest_pipe_m !== null
      ? `最近热网 nearest pipe ${m(rule.nearest_pipe_m)}` : '';
    default: return '';
  }
}

function verdict(ok) { return ok ? '<td class="pass">✓ 合规</td>' : '<td class="fail">✗ 不合规</td>'; }

function siteTable(answer, url, init) {
  const table = document.getElementById('site-table');
  const pdf = document.getElementById('site-pdf');
  pdf.hidden = true;
  if (answer.code) { table.textContent = ''; return; }
  if (answer.sites) {
    table.innerHTML = `<caption>${answer.compliant}/${answer.total} 合规 compliant</caption>` +
      '<tr><th>用地 site</th><th>结论</th><th>未通过 failed</th></tr>' +
      answer.sites.map(s => `<tr data-site="${escapeHtml(s.id)}"><td>${escapeHtml(s.id)}</td>${verdict(s.compliant)}` +
        `<td>${s.rules.filter(r => !r.pass).map(r => escapeHtml(RULE_TITLES[r.rule] || r.rule).split(' ')[0]).join('、')}</td></tr>`).join('');
    return;
  }
  table.innerHTML = `<caption>${answer.compliant ? '✓ 合规 compliant' : '✗ 不合规 not compliant'}</caption>` +
    '<tr><th>审查项 rule</th><th>结论</th><th>依据 evidence</th></tr>' +
    answer.rules.map(r => `<tr data-rule="${escapeHtml(r.rule)}"><td>${escapeHtml(RULE_TITLES[r.rule] || r.rule)}</td>` +
      `${verdict(r.pass)}<td>${escapeHtml(evidence(r))}</td></tr>`).join('');
  /* the opinion itself: the same site, asked for as the PDF a bureau files */
  fetch(url, Object.assign({}, init, { headers: Object.assign({ Accept: 'application/pdf' }, init.headers) }))
    .then(r => (r.ok ? r.blob() : null)).then(blob => {
      if (!blob) return;
      if (pdf.href.startsWith('blob:')) URL.revokeObjectURL(pdf.href);
      pdf.href = URL.createObjectURL(blob);
      pdf.hidden = false;
    });
}

document.getElementById('site-file').addEventListener('change', e => {
  if (e.target.files[0]) uploadSite(e.target.files[0]).catch(err => {
    document.getElementById('analysis-result').textContent = String(err);
  });
});
document.getElementById('site-draw').addEventListener('click', () => {
  if (!draw) return;
  window.gisdSiteDrawing = true;
  draw.setMode('polygon');
  window.gisdDrawing = true;
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
  optimizeCandidates = null;
  for (const [key, input] of Object.entries(desc.inputs)) {
    if (['format', 'analysis_crs', 'save_scenario'].includes(key)) continue; /* save_scenario: its own field below */
    const s = input.schema || {};
    const label = document.createElement('label');
    /* Chinese first, with the unit and the limits the catalog gives */
    const limits = s.minimum !== undefined && s.maximum !== undefined ? `（${s.minimum}–${s.maximum}）` : '';
    label.textContent = (PARAM_LABELS[key] || labelOf(key)) + limits + (input.minOccurs ? ' *' : '') + ' ';
    let el;
    if (key === 'candidates') {
      /* the candidate sites a planner brings: a GeoJSON FeatureCollection of points; none: the layer's */
      el = document.createElement('input');
      el.type = 'file';
      el.accept = '.geojson,.json';
      el.addEventListener('change', async () => {
        optimizeCandidates = el.files[0] ? JSON.parse(await el.files[0].text()) : null;
      });
      el.id = 'opt-candidates-file';
      label.appendChild(el);
      box.appendChild(label);
      continue;
    }
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
let optimizeCandidates = null;

function optimizeInputs() {
  const inputs = { format: 'geojson' };
  if (optimizeCandidates) inputs.candidates = optimizeCandidates;
  for (const el of document.querySelectorAll('#optimize-params input, #optimize-params select')) {
    if (el.value === '' || el.type === 'file') continue;
    const key = el.id.slice(4);
    inputs[key] = el.type === 'number' ? Number(el.value) : (el.value === 'true' ? true : el.value === 'false' ? false : el.value);
  }
  return inputs;
}

function drawFrontier(frontier) {
  const svg = document.getElementById('optimize-frontier');
  if (!frontier || !frontier.length) { svg.style.display = 'none'; return; }
  const W = 290, H = 172, L = 34, B = 36;
  const maxX = Math.max(...frontier.map(p => p.budget_km)) || 1, maxY = Math.max(...frontier.map(p => p.tph_retired)) || 1;
  const x = v => L + (W - L - 8) * v / maxX, y = v => H - B - (H - B - 8) * v / maxY;
  const pts = frontier.map(p => `${x(p.budget_km).toFixed(1)},${y(p.tph_retired).toFixed(1)}`).join(' ');
  svg.innerHTML = `<line x1="${L}" y1="${H - B}" x2="${W - 4}" y2="${H - B}" stroke="#999"/>` +
    `<line x1="${L}" y1="4" x2="${L}" y2="${H - B}" stroke="#999"/>` +
    `<polyline points="${pts}" fill="none" stroke="#d50000" stroke-width="2"/>` +
    frontier.map(p => `<circle cx="${x(p.budget_km).toFixed(1)}" cy="${y(p.tph_retired).toFixed(1)}" r="2.5" fill="#d50000"/>`).join('') +
    `<text x="${L}" y="${H - B + 12}">0</text><text x="${W - 60}" y="${H - B + 12}">${maxX.toFixed(1)} km</text>` +
    `<text x="${L + 4}" y="12">${Math.round(maxY)} t/h</text>` +
    `<text class="axis" x="${(L + W) / 2 - 55}" y="${H - 4}">支管长度 spur pipe (km)</text>` +
    `<text class="axis" x="4" y="${(H - B) / 2}" transform="rotate(-90 10 ${(H - B) / 2})">可淘汰蒸吨 t/h</text>` +
    (() => {
      /* the budget asked for, on the curve */
      const budget = Number((document.getElementById('opt-budget_km') || {}).value);
      if (!(budget > 0)) return '';
      const bx = x(Math.min(budget, maxX)).toFixed(1);
      return `<line class="budget" x1="${bx}" y1="4" x2="${bx}" y2="${H - B}" stroke="#1565c0" stroke-dasharray="3 2"/>` +
        `<text class="budget" x="${Number(bx) + 4}" y="${H - B - 8}" fill="#1565c0">所选预算 ${budget} km</text>`;
    })();
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
     ['==', ['get', 'kind'], 'boiler_left'], '#795548', '#d500f9']); /* new sites: magenta, not the facilities' yellow */
  /* the legend names the colours of the sites communities are served by */
  const bySite = fc.features.some(f => f.properties.site_id);
  const legend = document.getElementById('optimize-legend');
  /* and what each kind of feature drawn is, in the colours the layers give it */
  const KINDS = {
    selected: ['dot', '#d500f9', '新设点 proposed site'], site: ['dot', '#d500f9', '新设点 proposed site'],
    facility: ['dot', '#d500f9', '处置设施 facility'], newly_covered: ['dot', '#d500f9', '新覆盖社区 newly covered'],
    uncoverable: ['dot', '#000000', '无法覆盖 uncoverable'], unserved: ['dot', '#d50000', '未处置 unserved'],
    boiler_left: ['dot', '#795548', '保留锅炉 boiler left'], boiler_retired: ['dot', '#d500f9', '可淘汰锅炉 boiler retired'],
    flow: ['line', '#6a1b9a', '危废流向 flow'], spur: ['line', '#d50000', '新建支管 spur pipe'],
  };
  const kinds = [...new Set(fc.features.map(f => f.properties.kind))].filter(k => KINDS[k]);
  legend.innerHTML = kinds.map(k => `<span data-kind><i class="swatch ${KINDS[k][0]}" style="background:${KINDS[k][1]}"></i>${KINDS[k][2]}</span>`).join('') +
    (!bySite ? '' : sites.slice(0, 13).map((id, i) =>
      `<span><i class="swatch dot" style="background:${PALETTE[i % PALETTE.length]}"></i>${id}</span>`).join(''));
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
  document.getElementById('optimize-table').innerHTML = '';
  const inputs = optimizeInputs();
  const save = document.getElementById('optimize-save').value.trim();
  if (save) inputs.save_scenario = save;
  const created = await fetch(prefix() + '/processes/' + name + '/execution', {
    method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json', Prefer: 'respond-async' }, auth()),
    body: JSON.stringify({ inputs }) });
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
  const answer = result.type === 'FeatureCollection' ? result.answer || {} : result;
  renderAnswer(document.getElementById('optimize-table'), answer,
    [['CSV', '/jobs/' + job.jobID + '/results?f=csv'], ['Excel', '/jobs/' + job.jobID + '/results?f=xlsx']]);
  window.gisdOptimization = result;
  if (save) await loadScenarios(save);
}

function addOptimizeLayers() {
  map.addSource('optimize', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'optimize-line', type: 'line', source: 'optimize', filter: ['==', ['geometry-type'], 'LineString'],
                 paint: { 'line-color': ['case', ['==', ['get', 'kind'], 'spur'], '#d50000', '#6a1b9a'],
                          'line-width': ['interpolate', ['linear'], ['coalesce', ['get', 'tonnes'], 200], 0, 1, 200, 2, 2000, 6] } });
  map.addLayer({ id: 'optimize-point', type: 'circle', source: 'optimize', filter: ['==', ['geometry-type'], 'Point'],
                 paint: { 'circle-color': '#d500f9', 'circle-stroke-color': '#333', 'circle-stroke-width': 1,
                          'circle-radius': ['case', ['in', ['get', 'kind'], ['literal', ['selected', 'site', 'facility']]], 8, 4] } });
}
map.on('load', addOptimizeLayers);

/* the print view of what the map shows now (GET /print renders it with Cairo, as the reports) */
function updatePrintLinks() {
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(5)).join(',');
  const title = encodeURIComponent(document.title.replace(/^gisd\s*/, '') || '规划图');
  document.getElementById('print-a4').href = `/print?bbox=${bbox}&size=A4&orientation=landscape&title=${title}`;
  document.getElementById('print-a3').href = `/print?bbox=${bbox}&size=A3&orientation=portrait&title=${title}`;
}
map.on('moveend', updatePrintLinks);

/* the map as the planner sees it, as a PNG: read in the render that follows a repaint */
document.getElementById('map-png').addEventListener('click', e => {
  e.preventDefault();
  map.once('render', () => {
    const a = document.createElement('a');
    a.href = map.getCanvas().toDataURL('image/png');
    a.download = '规划地图.png';
    document.body.append(a);
    a.click();
    a.remove();
  });
  map.triggerRepaint();
});
map.on('load', updatePrintLinks);

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

/* ---- the planner's workbench: a scenario chosen for everything the map
 * shows and runs, its features drawn, moved and deleted on the map with
 * terra-draw (Part 4 writes under /scenarios/{sid}/...), and two scenarios
 * compared ---- */
function scenario() { return document.getElementById('scenario').value; }
function prefix() { return scenario() === 'baseline' ? '' : '/scenarios/' + encodeURIComponent(scenario()); }
function auth() {
  const t = document.getElementById('token').value.trim();
  return t ? { Authorization: 'Bearer ' + t } : {};
}
function status(text) { document.getElementById('draw-status').textContent = text; }

async function loadScenarios(select) {
  const list = await fetch('/scenarios').then(r => r.json());
  for (const id of ['scenario', 'compare-a', 'compare-b']) {
    const el = document.getElementById(id), keep = select && id === 'scenario' ? select : el.value;
    el.textContent = '';
    el.add(new Option('现状 baseline', 'baseline'));
    for (const sc of list.scenarios) el.add(new Option(`${sc.id} ${sc.title}`, sc.id));
    if ([...el.options].some(o => o.value === keep)) el.value = keep;
  }
  if (select) await switchScenario();
}

/* everything read again through the scenario chosen: tiles, analyses, processes */
async function switchScenario() {
  map.getSource('gisd').setUrl(location.origin + prefix() + '/tiles/all.json');
  if (draw) draw.clear();
  status(scenario() === 'baseline' ? '现状：只读 the baseline is not drawn on here' : '方案 ' + scenario());
}

async function createScenario() {
  const id = document.getElementById('scenario-new').value.trim();
  if (!id) return;
  const r = await fetch('/scenarios', { method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json' }, auth()),
                                       body: JSON.stringify({ id, title: id, base: scenario() }) });
  const doc = await r.json();
  if (r.status !== 201) { status(doc.description || String(r.status)); return; }
  await loadScenarios(id);
}

/* the properties a new feature of layer gets: its id and what the layer needs */
const ID_FIELD = { recycling_points: 'point_id', hw_facilities: 'facility_id', heat_network: 'pipe_id', parks: 'park_id' };
function newProperties(layer, id) {
  const p = { [ID_FIELD[layer]]: id };
  if (layer === 'recycling_points') Object.assign(p, { name: '规划回收点 ' + id, level: 'community', capacity_tpd: 1 });
  if (layer === 'hw_facilities') Object.assign(p, { name: '规划危废设施 ' + id, capacity_tpy: 10000 });
  if (layer === 'parks') Object.assign(p, { name: '规划园区 ' + id, level: 'municipal' });
  return p;
}

let draw = null;
const drawn = new Map(); /* terra-draw id -> {layer, fid} of what the server holds */

function items(layer) { return prefix() + '/collections/' + layer + '/items'; }

async function write(method, url, body) {
  const headers = Object.assign({ 'Content-Type': 'application/geo+json' }, auth());
  if (method !== 'POST') {
    const now = await fetch(url);
    headers['If-Match'] = now.headers.get('ETag') || '*';
  }
  const r = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  window.gisdLastWrite = { method, url, status: r.status };
  status(`${method} ${r.status}`);
  if (map.getSource('gisd')) map.getSource('gisd').setUrl(location.origin + prefix() + '/tiles/all.json');
  return r;
}

async function onFinish(id, context) {
  if (window.gisdSiteDrawing) {
    const site = draw.getSnapshot().find(x => x.id === id);
    window.gisdSiteDrawing = false;
    window.gisdDrawing = false;
    draw.removeFeatures([id]);
    draw.setMode('static');
    if (site) placeSite(site.geometry);
    return;
  }
  if (scenario() === 'baseline') { status('先选择或新建方案 choose or make a scenario first'); draw.removeFeatures([id]); return; }
  const f = draw.getSnapshotFeature ? draw.getSnapshotFeature(id) : draw.getSnapshot().find(x => x.id === id);
  if (!f) return;
  const known = drawn.get(id);
  if (!known) {
    const layer = document.getElementById('draw-layer').value, fid = 'V-' + Date.now().toString(36);
    const r = await write('POST', items(layer), { type: 'Feature', geometry: f.geometry, properties: newProperties(layer, fid) });
    if (r.status === 201) drawn.set(id, { layer, fid });
    return;
  }
  /* moved or reshaped: the same feature with its new geometry */
  const url = items(known.layer) + '/' + encodeURIComponent(known.fid);
  const current = await fetch(url).then(r => r.json());
  await write('PUT', url, { type: 'Feature', geometry: f.geometry, properties: current.properties });
}

async function deleteSelected() {
  const sel = draw.getSnapshot().filter(f => f.properties.selected);
  for (const f of sel) {
    const known = drawn.get(f.id);
    if (known) await write('DELETE', items(known.layer) + '/' + encodeURIComponent(known.fid));
    drawn.delete(f.id);
    draw.removeFeatures([f.id]);
  }
}

function startDrawing() {
  const TD = window.terraDraw, A = window.terraDrawMaplibreGlAdapter;
  if (!TD || !A) return;
  draw = new TD.TerraDraw({
    adapter: new A.TerraDrawMapLibreGLAdapter({ map }),
    modes: [new TD.TerraDrawPointMode(), new TD.TerraDrawLineStringMode(), new TD.TerraDrawPolygonMode(),
            new TD.TerraDrawSelectMode({ flags: {
              point: { feature: { draggable: true } },
              linestring: { feature: { draggable: true, coordinates: { draggable: true } } },
              polygon: { feature: { draggable: true, coordinates: { draggable: true, midpoints: true } } } } })],
  });
  draw.start();
  draw.on('finish', (id, context) => onFinish(id, context).catch(e => status(String(e))));
  window.gisdDraw = draw;
  const mode = m => () => { draw.setMode(m); window.gisdDrawing = m !== 'static'; };
  document.getElementById('draw-point').addEventListener('click', mode('point'));
  document.getElementById('draw-line').addEventListener('click', mode('linestring'));
  document.getElementById('draw-polygon').addEventListener('click', mode('polygon'));
  document.getElementById('draw-select').addEventListener('click', mode('select'));
  document.getElementById('draw-off').addEventListener('click', mode('static'));
  document.getElementById('draw-delete').addEventListener('click', () => deleteSelected().catch(e => status(String(e))));
}

async function runCompare() {
  const a = document.getElementById('compare-a').value, b = document.getElementById('compare-b').value;
  const table = document.getElementById('compare-table');
  if (a === 'baseline') { table.textContent = '选择一个方案作 a choose a scenario as a'; return; }
  const doc = await fetch(`/scenarios/${encodeURIComponent(a)}/compare/${encodeURIComponent(b)}`).then(r => r.json());
  table.innerHTML = `<tr><th>指标 indicator</th><th>${escapeHtml(a)}</th><th>${escapeHtml(b)}</th><th>Δ</th></tr>` +
    (doc.indicators || []).map(i => `<tr data-id="${escapeHtml(i.id)}"><td>${escapeHtml(i.id)}</td><td>${i.a}</td><td>${i.b}</td>` +
      `<td class="${i.delta > 0 ? 'up' : i.delta < 0 ? 'down' : ''}">${i.delta > 0 ? '+' : ''}${i.delta}</td></tr>`).join('');
  document.getElementById('compare-pdf').href = `/scenarios/${encodeURIComponent(a)}/compare/${encodeURIComponent(b)}?f=pdf`;
  window.gisdCompare = doc;
  /* what differs, drawn: added and changed as a has them, removed as b had them */
  const features = [];
  for (const [layer, lists] of Object.entries(doc.changes || {}))
    for (const [kind, ids, from] of [['added', lists.added, a], ['changed', lists.replaced, a], ['removed', lists.deleted, b]])
      for (const id of ids) {
        const base = from === 'baseline' ? '' : '/scenarios/' + encodeURIComponent(from);
        const f = await fetch(`${base}/collections/${layer}/items/${encodeURIComponent(id)}`).then(r => r.ok ? r.json() : null);
        if (f) features.push({ type: 'Feature', geometry: f.geometry, properties: { change: kind, layer, id } });
      }
  map.getSource('compare').setData({ type: 'FeatureCollection', features });
}

function addCompareLayers() {
  map.addSource('compare', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  const colour = ['match', ['get', 'change'], 'added', '#2e7d32', 'removed', '#c62828', '#ef6c00'];
  map.addLayer({ id: 'compare-fill', type: 'fill', source: 'compare', filter: ['==', ['geometry-type'], 'Polygon'],
                 paint: { 'fill-color': colour, 'fill-opacity': 0.35 } });
  map.addLayer({ id: 'compare-line', type: 'line', source: 'compare', paint: { 'line-color': colour, 'line-width': 3 } });
  map.addLayer({ id: 'compare-point', type: 'circle', source: 'compare', filter: ['==', ['geometry-type'], 'Point'],
                 paint: { 'circle-color': colour, 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
}

map.on('load', () => { addCompareLayers(); startDrawing(); loadScenarios().catch(e => status(String(e))); });
document.getElementById('scenario').addEventListener('change', () => switchScenario());
document.getElementById('scenario-create').addEventListener('click', () => createScenario().catch(e => status(String(e))));
document.getElementById('compare-run').addEventListener('click', () => runCompare().catch(e => status(String(e))));
