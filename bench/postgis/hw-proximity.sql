-- hw-proximity (ANALYSES.md), capable = false, max_km 50: the nearest facility
-- by KNN, emitting the ANALYSES.md document.
WITH n AS (
  SELECT e.ent_id, e.hw_tpy, f.facility_id, ST_Distance(e.g, f.g) AS d
  FROM enterprises e
  LEFT JOIN LATERAL (SELECT facility_id, g FROM hw_facilities ORDER BY g <-> e.g LIMIT 1) f ON true
  WHERE e.hw_tpy > 0)
SELECT json_build_object(
  'capable', false, 'max_km', 50,
  'enterprises', coalesce(json_agg(json_build_object(
      'ent_id', ent_id, 'hw_tpy', hw_tpy, 'facility_id', facility_id,
      'distance_m', round(d::numeric, 3)) ORDER BY ent_id COLLATE "C"), '[]'),
  'beyond_max', count(*) FILTER (WHERE d > 50000),
  'no_facility', count(*) FILTER (WHERE facility_id IS NULL))
FROM n;
