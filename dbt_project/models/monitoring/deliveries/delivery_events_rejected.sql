-- Landed lines that are not valid delivery events, with the first rule each
-- breaks: kept here (and counted in the build's warnings) instead of
-- dropped. Rebuilt from the whole landing table every run.
select
    file_name,
    file_row_number,
    loaded_at,
    reject_reason,
    raw_line
from {{ ref('stg_events__deliveries') }}
where reject_reason is not null
