-- Every customer seen by {as_of}: each surviving profile whose loaded profiles' first event is not after it,
-- once (column `survivor`).
SELECT {{survivor:a}} AS survivor
FROM {{database}}.profile_activity AS a
{{override:a}}
GROUP BY survivor
HAVING min(a.first_seen) <= {as_of:DateTime64(3, 'UTC')}
