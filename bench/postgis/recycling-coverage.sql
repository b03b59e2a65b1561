-- recycling-coverage (ANALYSES.md) at radius_m 1000, level community.
WITH c AS (
  SELECT c.community_id, c.households, d.name AS district,
         EXISTS (SELECT 1 FROM recycling_points r
                 WHERE r.level = 'community' AND ST_DWithin(r.g, c.g, 1000)) AS covered
  FROM communities c LEFT JOIN districts d ON ST_Contains(d.g, c.g)
)
SELECT district, count(*), sum(households), sum(households) FILTER (WHERE covered)
FROM c GROUP BY district
UNION ALL
SELECT 'uncovered', count(*), NULL, NULL FROM c WHERE NOT covered
ORDER BY 1;
