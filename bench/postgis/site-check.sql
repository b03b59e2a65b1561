-- site-check (ANALYSES.md) of the site :'id' of bench_sites, with the rules of
-- layers/site-rules.json (loaded into bench_rules by bench/analyses.sh),
-- emitting the ANALYSES.md document.
WITH s AS (SELECT b.*, r.allowed, r.setback_m, coalesce(b.coal_boiler_tph, 0) AS tph
           FROM bench_sites b JOIN bench_rules r ON r.class = b.project_class WHERE b.id = :'id'),
park AS (SELECT min(p.park_id COLLATE "C") AS park_id FROM parks p, s WHERE ST_Covers(p.g, s.g)),
zone AS (SELECT z.zone_id, z.land_use, z.land_use = ANY (s.allowed) AS ok FROM zones z, s
         WHERE CASE WHEN GeometryType(s.g) = 'POINT' THEN ST_Covers(z.g, s.g)
                    ELSE ST_Intersects(z.g, s.g) AND ST_Area(ST_Intersection(z.g, s.g)) > 0 END),
near AS (SELECT a.area_id, a.kind, ST_Distance(a.g, s.g) AS d FROM sensitive_areas a, s
         WHERE a.kind IN ('residential', 'school', 'hospital') ORDER BY ST_Distance(a.g, s.g), a.area_id LIMIT 1),
home AS (SELECT z.zone_id, z.land_use, ST_Distance(z.g, s.g) AS d FROM zones z, s
         WHERE z.land_use LIKE 'R%' ORDER BY ST_Distance(z.g, s.g), z.zone_id COLLATE "C" LIMIT 1),
prot AS (SELECT a.area_id FROM sensitive_areas a, s
         WHERE a.kind IN ('water_source', 'ecological_redline', 'basic_farmland') AND ST_Intersects(a.g, s.g)),
pipe AS (SELECT min(ST_Distance(h.g, s.g)) AS d FROM heat_network h, s),
r AS (
  SELECT
    (SELECT park_id FROM park) IS NOT NULL AS p_park,
    (SELECT count(*) > 0 AND bool_and(ok) FROM zone) AS p_zone,
    (SELECT coalesce((SELECT d FROM near) >= s.setback_m, true) AND coalesce((SELECT d FROM home) >= s.setback_m, true)
     FROM s) AS p_setback,
    NOT EXISTS (SELECT 1 FROM prot) AS p_prot,
    (SELECT s.tph <= 0 OR (SELECT d FROM pipe) IS NULL OR (SELECT d FROM pipe) > 1000 FROM s) AS p_heat)
SELECT json_build_object(
  'compliant', p_park AND p_zone AND p_setback AND p_prot AND p_heat,
  'rules', json_build_array(
    json_build_object('rule', 'inside_park', 'pass', p_park, 'park_id', (SELECT park_id FROM park)),
    json_build_object('rule', 'land_use', 'pass', p_zone, 'zones',
      (SELECT coalesce(json_agg(json_build_object('zone_id', zone_id, 'land_use', land_use)
                                ORDER BY zone_id COLLATE "C"), '[]') FROM zone)),
    json_build_object('rule', 'setback', 'pass', p_setback, 'required_m', (SELECT setback_m FROM s),
      'nearest', (SELECT json_build_object('area_id', area_id, 'kind', kind, 'distance_m', round(d::numeric, 3))
                  FROM near),
      'nearest_residential_zone', (SELECT json_build_object('zone_id', zone_id, 'land_use', land_use,
                                                           'distance_m', round(d::numeric, 3)) FROM home)),
    json_build_object('rule', 'protected_areas', 'pass', p_prot, 'overlaps',
      (SELECT coalesce(json_agg(area_id ORDER BY area_id COLLATE "C"), '[]') FROM prot)),
    json_build_object('rule', 'central_heating', 'pass', p_heat,
      'nearest_pipe_m', (SELECT round(d::numeric, 3) FROM pipe))))
FROM r;
