-- heating-coverage (ANALYSES.md) at radius_m 1000 in the analysis CRS (column g),
-- as a PostGIS user would write it: one pass grouped by park (the reach of the
-- pipes near each park unioned once), emitting the ANALYSES.md document.
WITH reach AS (
  SELECT p.park_id, ST_Area(p.g) AS area,
         coalesce(ST_Area(ST_Intersection(p.g, ST_Union(ST_Buffer(h.g, 1000)))), 0) AS covered
  FROM parks p LEFT JOIN heat_network h ON ST_DWithin(h.g, p.g, 1000)
  GROUP BY p.park_id, p.g),
inside AS (
  SELECT p.park_id, e.ent_id, e.boiler_fuel = 'coal' AND e.boiler_tph > 0 AS coal,
         EXISTS (SELECT 1 FROM heat_network h WHERE ST_DWithin(h.g, e.g, 1000)) AS near
  FROM parks p JOIN enterprises e ON ST_Contains(p.g, e.g)),
per AS (
  SELECT r.park_id, r.area, r.covered, count(i.ent_id) AS n,
         count(i.ent_id) FILTER (WHERE i.near) AS cov,
         coalesce(json_agg(i.ent_id ORDER BY i.ent_id COLLATE "C") FILTER (WHERE i.near AND i.coal), '[]') AS coal,
         count(i.ent_id) FILTER (WHERE i.near AND i.coal) AS ncoal
  FROM reach r LEFT JOIN inside i USING (park_id)
  GROUP BY r.park_id, r.area, r.covered)
SELECT json_build_object(
  'radius_m', 1000,
  'parks', json_agg(json_build_object(
      'park_id', park_id, 'area_km2', round((area / 1e6)::numeric, 6),
      'covered_km2', round((covered / 1e6)::numeric, 6),
      'coverage_ratio', round((CASE WHEN area > 0 THEN covered / area ELSE 0 END)::numeric, 6),
      'enterprises', n, 'enterprises_covered', cov, 'coal_boilers_in_coverage', coal)
    ORDER BY park_id COLLATE "C"),
  'total', json_build_object(
      'area_km2', round((sum(area) / 1e6)::numeric, 6), 'covered_km2', round((sum(covered) / 1e6)::numeric, 6),
      'coverage_ratio', round((CASE WHEN sum(area) > 0 THEN sum(covered) / sum(area) ELSE 0 END)::numeric, 6),
      'enterprises', sum(n), 'enterprises_covered', sum(cov), 'coal_boilers_in_coverage', sum(ncoal)))
FROM per;
