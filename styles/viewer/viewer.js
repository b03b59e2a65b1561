/* gisd's viewer: the planning style over this server's own vector tiles,
 * layer toggles with a legend, feature attributes on click, and a panel that
 * runs the planning analyses and draws their answer (f=geojson) on the map. */
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

const ANALYSIS_PARAMS = {
  'heating-coverage': [['radius_m', '供热半径 radius (m)', ''], ['park_id', '园区 park id', '']],
  'hw-proximity': [['max_km', '最大距离 max (km)', ''], ['capable', '须具备处置能力 capable only (true/false)', '']],
  'recycling-coverage': [['level', '级别 level (community/transit/sorting)', '']],
  'site-check': [['project_class', '项目类别 project class', 'M2'], ['coal_boiler_tph', '燃煤锅炉 coal boiler (t/h)', '0'],
                 ['site_m', '用地边长 site side (m)', '300']],
};

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

function renderParams() {
  const name = document.getElementById('analysis-name').value;
  const box = document.getElementById('analysis-params');
  box.textContent = '';
  for (const [key, title, value] of ANALYSIS_PARAMS[name]) {
    const label = document.createElement('label');
    label.textContent = title;
    const input = document.createElement('input');
    input.id = 'param-' + key;
    input.value = value;
    label.append(input);
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
    for (const [key] of ANALYSIS_PARAMS[name]) if (param(key)) query.set(key, param(key));
  }
  out.textContent = '…';
  const base = '/analysis/' + name + '?' + query.toString();
  const [answer, view] = await Promise.all([
    fetch(base, init).then(r => r.json()),
    fetch(base + (query.toString() ? '&' : '') + 'f=geojson', init).then(r => r.json()),
  ]);
  out.textContent = JSON.stringify(answer, null, 1);
  if (view.type === 'FeatureCollection') map.getSource('analysis').setData(view);
  window.gisdAnalysis = view;
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

buildLayerList();
renderParams();
document.getElementById('analysis-name').addEventListener('change', renderParams);
document.getElementById('analysis-run').addEventListener('click', () => runAnalysis().catch(err => {
  document.getElementById('analysis-result').textContent = String(err);
}));
document.getElementById('analysis-clear').addEventListener('click', clearAnalysis);
