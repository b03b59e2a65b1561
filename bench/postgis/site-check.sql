-- site-check (ANALYSES.md) for every site in bench_sites (class M2: setback 100 m).
SELECT s.id,
  (SELECT park_id FROM parks p WHERE ST_Within(s.g, p.g) LIMIT 1) AS park,
  (SELECT array_agg(zone_id || ':' || land_use ORDER BY zone_id) FROM zones z
   WHERE ST_Intersects(z.g, s.g) AND (GeometryType(s.g) = 'POINT' OR ST_Area(ST_Intersection(z.g, s.g)) > 0)) AS zones,
  (SELECT area_id || ':' || round(ST_Distance(a.g, s.g)::numeric, 3) FROM sensitive_areas a
   WHERE a.kind IN ('residential', 'school', 'hospital') ORDER BY ST_Distance(a.g, s.g) LIMIT 1) AS nearest_sensitive,
  (SELECT array_agg(area_id ORDER BY area_id) FROM sensitive_areas a
   WHERE a.kind IN ('water_source', 'ecological_redline', 'basic_farmland') AND ST_Intersects(a.g, s.g)) AS protected,
  (SELECT round(min(ST_Distance(h.g, s.g))::numeric, 3) FROM (SELECT g FROM heat_network ORDER BY g <-> s.g LIMIT 8) h) AS nearest_pipe
FROM bench_sites s ORDER BY s.id;
