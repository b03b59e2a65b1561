-- recycling-coverage (ANALYSES.md) at radius_m 1000, level community,
-- emitting the ANALYSES.md document.
WITH c AS (
  SELECT c.community_id, c.households, d.name AS district,
         EXISTS (SELECT 1 FROM recycling_points r
                 WHERE r.level = 'community' AND ST_DWithin(r.g, c.g, 1000)) AS covered
  FROM communities c
  LEFT JOIN LATERAL (SELECT name FROM districts d WHERE ST_Contains(d.g, c.g) LIMIT 1) d ON true),
per AS (
  SELECT district, count(*) AS n, sum(households) AS hh,
         coalesce(sum(households) FILTER (WHERE covered), 0) AS cov
  FROM c WHERE district IS NOT NULL GROUP BY district)
SELECT json_build_object(
  'radius_m', 1000, 'level', 'community',
  'districts', (SELECT coalesce(json_agg(json_build_object(
      'name', district, 'communities', n, 'households', hh, 'households_covered', cov,
      'coverage_ratio', round((CASE WHEN hh > 0 THEN cov::float8 / hh ELSE 0 END)::numeric, 6))
      ORDER BY district COLLATE "C"), '[]') FROM per),
  'total', (SELECT json_build_object('communities', count(*), 'households', sum(households),
      'households_covered', coalesce(sum(households) FILTER (WHERE covered), 0),
      'coverage_ratio', round((CASE WHEN sum(households) > 0
          THEN coalesce(sum(households) FILTER (WHERE covered), 0)::float8 / sum(households) ELSE 0 END)::numeric, 6))
      FROM c),
  'uncovered', (SELECT coalesce(json_agg(community_id ORDER BY community_id COLLATE "C"), '[]')
      FROM c WHERE NOT covered));
