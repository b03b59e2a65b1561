-- hw-proximity (ANALYSES.md), capable = false: the nearest facility by KNN.
SELECT e.ent_id, e.hw_tpy, f.facility_id, round(ST_Distance(e.g, f.g)::numeric, 3) AS distance_m
FROM enterprises e
CROSS JOIN LATERAL (SELECT facility_id, g FROM hw_facilities ORDER BY g <-> e.g LIMIT 1) f
WHERE e.hw_tpy > 0
ORDER BY e.ent_id;
