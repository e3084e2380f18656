-- Each customer's first-touch channel as of {as_of}: the campaign source / medium of their earliest event
-- ('(direct)' when it has neither, '(none)' for a missing half), under surviving profiles: the earliest event of
-- each loaded profile, then the earliest of those per survivor.
SELECT {{survivor:t}} AS profile_id, argMin(t.channel, t.first) AS channel
FROM
(
    SELECT profile_id,
           argMin(if(campaign_source = '' AND campaign_medium = '', '(direct)',
                     concat(if(campaign_source = '', '(none)', campaign_source), ' / ', if(campaign_medium = '', '(none)', campaign_medium))),
                  (timestamp, message_id)) AS channel,
           min((timestamp, message_id)) AS first
    FROM {{database}}.events
    WHERE timestamp < {as_of:DateTime64(3, 'UTC')} AND profile_id != ''
    GROUP BY profile_id
) AS t
{{override:t}}
GROUP BY profile_id
