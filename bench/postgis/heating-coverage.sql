-- heating-coverage (ANALYSES.md) at radius_m 1000, in the analysis CRS (column g).
WITH covered AS (
  SELECT e.ent_id, e.boiler_fuel, e.boiler_tph, p.park_id,
         EXISTS (SELECT 1 FROM heat_network h WHERE ST_DWithin(h.g, e.g, 1000)) AS near_pipe
  FROM parks p JOIN enterprises e ON ST_Contains(p.g, e.g)
)
SELECT p.park_id,
       round((ST_Area(p.g) / 1e6)::numeric, 6) AS area_km2,
       round((ST_Area(ST_Intersection(p.g,
         (SELECT ST_Union(ST_Buffer(h.g, 1000)) FROM heat_network h WHERE ST_DWithin(h.g, p.g, 1000))))
         / 1e6)::numeric, 6) AS covered_km2,
       (SELECT count(*) FROM covered c WHERE c.park_id = p.park_id) AS enterprises,
       (SELECT count(*) FROM covered c WHERE c.park_id = p.park_id AND c.near_pipe) AS enterprises_covered,
       (SELECT array_agg(c.ent_id ORDER BY c.ent_id) FROM covered c
        WHERE c.park_id = p.park_id AND c.near_pipe AND c.boiler_fuel = 'coal' AND c.boiler_tph > 0) AS coal
FROM parks p ORDER BY p.park_id;
