// The public recycling map (/map): where to take what, for residents,
// Chinese first and phones first. Everything it asks is gisd's own API:
// the recycling points (OGC API Features), /nearest and /search.
(async function () {
  'use strict';
  const LEVEL = { community: '社区回收点', transit: '中转站', sorting: '分拣中心' };
  const LAYER = {
    recycling_points: '回收点', communities: '社区', parks: '园区', districts: '行政区', roads: '道路',
    heat_sources: '热源', hw_facilities: '危废处置设施', sensitive_areas: '敏感区', enterprises: '企业',
  };
  const $ = id => document.getElementById(id);
  const query = new URLSearchParams(location.search);
  const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const metres = m => (m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(m < 10000 ? 1 : 0)} 公里`);

  const map = new maplibregl.Map({
    container: 'map', style: '/styles/public.json', hash: 'view', center: [120.65, 27.95], zoom: 9,
    attributionControl: { compact: true },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  await new Promise(res => map.once('load', res));

  // every recycling point, page by page
  let all = [];
  let next = '/collections/recycling_points/items?limit=10000';
  while (next) {
    const page = await (await fetch(next, { headers: { Accept: 'application/geo+json' } })).json();
    all = all.concat(page.features || []);
    const link = (page.links || []).find(l => l.rel === 'next');
    next = link ? link.href : null;
  }
  // walking distances when the city has roads
  let walking = false;
  try {
    const r = await fetch('/collections/roads/items?limit=1');
    walking = r.ok && ((await r.json()).numberMatched || 0) > 0;
  } catch (e) { walking = false; }

  const cats = new Set();
  for (const f of all) for (const c of String(f.properties.categories || '').split(';')) if (c) cats.add(c);
  for (const c of [...cats].sort()) $('category').append(new Option(c, c));
  $('category').value = query.get('category') || '';
  $('level').value = query.get('level') || '';

  let shown = all;
  function remember() {
    const q = new URLSearchParams();
    if ($('category').value) q.set('category', $('category').value);
    if ($('level').value) q.set('level', $('level').value);
    if ($('search').value.trim()) q.set('q', $('search').value.trim());
    const s = q.toString();
    history.replaceState(null, '', location.pathname + (s ? '?' + s : '') + location.hash);
  }
  function applyFilter() {
    const cat = $('category').value, level = $('level').value;
    shown = all.filter(f => (!cat || String(f.properties.categories || '').split(';').includes(cat)) &&
                            (!level || f.properties.level === level));
    map.getSource('points').setData({ type: 'FeatureCollection', features: shown });
    remember();
  }
  $('category').addEventListener('change', () => { applyFilter(); if (last) nearest(last.lon, last.lat, last.what); });
  $('level').addEventListener('change', () => { applyFilter(); if (last) nearest(last.lon, last.lat, last.what); });
  applyFilter();

  function popupHtml(p) {
    const rows = [['名称', p.name], ['级别', LEVEL[p.level] || p.level],
                  ['回收品类', String(p.categories || '').split(';').filter(Boolean).join('、')],
                  ['日处理能力', p.capacity_tpd != null ? `${p.capacity_tpd} 吨/日` : ''], ['编号', p.point_id]];
    return '<table>' + rows.filter(r => r[1]).map(r => `<tr><th>${r[0]}</th><td>${esc(r[1])}</td></tr>`).join('') + '</table>';
  }
  const popup = new maplibregl.Popup({ closeButton: true, maxWidth: '280px' });

  // the nearest points to a place: walking along the roads when there are
  // roads (a place off them falls back to a straight line, and says so)
  let last = null, lastFound = [];
  async function nearest(lon, lat, what) {
    last = { lon, lat, what };
    const base = new URLSearchParams({ layer: 'recycling_points', lon: lon.toFixed(6), lat: lat.toFixed(6), n: '5' });
    if ($('category').value) base.set('category', $('category').value);
    if ($('level').value) base.set('level', $('level').value);
    let how = walking ? 'network' : 'euclidean', note = '';
    let r = await fetch(`/nearest?${base}&distance=${how}`);
    if (!r.ok && how === 'network') {
      note = '（附近没有可步行的道路，按直线距离）';
      how = 'euclidean';
      r = await fetch(`/nearest?${base}&distance=${how}`);
    }
    const list = $('nearest');
    list.dataset.lon = base.get('lon');
    list.dataset.lat = base.get('lat');
    list.dataset.distance = how;
    list.innerHTML = '';
    list.hidden = false;
    if (!r.ok) {
      $('hint').textContent = `查询失败：${(await r.json()).description || r.status}`;
      return;
    }
    const fc = await r.json();
    $('hint').textContent = fc.features.length
      ? `离${what}最近的回收点（${how === 'network' ? '步行距离' : '直线距离'}）${note}`
      : '没有符合条件的回收点。';
    const found = [{ type: 'Feature', properties: { kind: 'place' }, geometry: { type: 'Point', coordinates: [lon, lat] } }];
    fc.features.forEach((f, i) => {
      const p = f.properties;
      const li = document.createElement('li');
      li.dataset.id = f.id;
      li.innerHTML = `<span class="dist">${metres(p.distance_m)}</span><span class="name">${esc(p.name)}</span>` +
        `<div class="meta">${esc(LEVEL[p.level] || p.level)} · ${esc(String(p.categories || '').split(';').join('、'))}</div>`;
      li.addEventListener('click', () => {
        map.flyTo({ center: f.geometry.coordinates, zoom: Math.max(map.getZoom(), 15) });
        popup.setLngLat(f.geometry.coordinates).setHTML(popupHtml(p)).addTo(map);
      });
      list.append(li);
      if (i === 0) {
        found.push({ type: 'Feature', properties: { kind: 'best' }, geometry: f.geometry });
        found.push(p.route
          ? { type: 'Feature', properties: { kind: 'route' }, geometry: p.route }
          : { type: 'Feature', properties: { kind: 'straight' },
              geometry: { type: 'LineString', coordinates: [[lon, lat], f.geometry.coordinates] } });
      }
    });
    lastFound = found;
    map.getSource('found').setData({ type: 'FeatureCollection', features: found });
    if (fc.features.length) {
      const b = new maplibregl.LngLatBounds([lon, lat], [lon, lat]);
      b.extend(fc.features[0].geometry.coordinates);
      for (const c of (fc.features[0].properties.route || {}).coordinates || []) b.extend(c);
      // on a phone the sheet covers the bottom of the map: keep the route above it
      const sheet = $('sheet').getBoundingClientRect();
      const below = sheet.width >= window.innerWidth - 1 ? Math.min(sheet.height, window.innerHeight / 2) : 0;
      const left = below ? 0 : sheet.right;
      map.fitBounds(b, { padding: { top: 50, right: 50, bottom: below + 40, left: left + 40 }, maxZoom: 16, duration: 0 });
    }
  }

  $('locate').addEventListener('click', () => {
    if (!navigator.geolocation) { $('hint').textContent = '这个浏览器不能定位。'; return; }
    $('hint').textContent = '正在定位……';
    navigator.geolocation.getCurrentPosition(
      pos => nearest(pos.coords.longitude, pos.coords.latitude, '你'),
      () => { $('hint').textContent = '无法获得你的位置：请允许定位，或在地图上点一下。'; },
      { enableHighAccuracy: true, timeout: 10000 });
  });

  map.on('click', 'clusters', async e => {
    e.preventDefault();
    const f = e.features[0];
    const zoom = await map.getSource('points').getClusterExpansionZoom(f.properties.cluster_id);
    map.easeTo({ center: f.geometry.coordinates, zoom });
  });
  map.on('click', 'points', e => {
    e.preventDefault();
    const f = e.features[0];
    popup.setLngLat(f.geometry.coordinates).setHTML(popupHtml(f.properties)).addTo(map);
  });
  map.on('click', e => {
    if (e.defaultPrevented) return;
    nearest(e.lngLat.lng, e.lngLat.lat, '所点位置');
  });
  for (const l of ['clusters', 'points']) {
    map.on('mouseenter', l, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', l, () => { map.getCanvas().style.cursor = ''; });
  }

  // search by name, or by the pinyin initials of a name
  let timer = null, asked = 0;
  async function search(q) {
    const n = ++asked;
    const box = $('search-results');
    if (!q) { box.hidden = true; box.innerHTML = ''; return; }
    const r = await fetch(`/search?${new URLSearchParams({ q, limit: '8' })}`);
    if (n !== asked) return;
    box.innerHTML = '';
    box.hidden = false;
    if (!r.ok) { box.innerHTML = `<li>${esc((await r.json()).description)}</li>`; return; }
    const fc = await r.json();
    if (!fc.features.length) box.innerHTML = '<li class="meta">没有找到。</li>';
    for (const f of fc.features) {
      const li = document.createElement('li');
      li.dataset.id = f.id;
      li.dataset.layer = f.properties.layer;
      li.innerHTML = `<span class="name">${esc(f.properties.name)}</span> <span class="meta">${esc(LAYER[f.properties.layer] || f.properties.layer)}</span>`;
      li.addEventListener('click', () => {
        const [w, s, e, nb] = f.bbox;
        if (e - w > 1e-4 || nb - s > 1e-4) map.fitBounds([[w, s], [e, nb]], { padding: 40, maxZoom: 16, duration: 0 });
        else map.jumpTo({ center: f.geometry.coordinates, zoom: 16 });
        const point = f.properties.layer === 'recycling_points' && all.find(p => p.id === f.id);
        if (point) popup.setLngLat(point.geometry.coordinates).setHTML(popupHtml(point.properties)).addTo(map);
        box.hidden = true;
      });
      box.append(li);
    }
    remember();
  }
  $('search').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => search($('search').value.trim()), 250);
  });
  $('sheet-handle').addEventListener('click', () => $('sheet').classList.toggle('collapsed'));
  if (query.get('q')) { $('search').value = query.get('q'); search(query.get('q')); }

  window.gisdPublic = { map, shown: () => shown.length, total: () => all.length, nearest, search, walking: () => walking,
                       found: () => lastFound };
  map.once('idle', () => { document.body.dataset.ready = 'true'; });
  map.triggerRepaint();
})();
