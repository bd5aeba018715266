-- The latest freshness check of every source table.
select
    source_name,
    table_name,
    status,
    is_breach,
    max_loaded_at,
    checked_at,
    cast(age_seconds as decimal(18, 3)) as age_seconds
from {{ ref('source_freshness_status') }}
