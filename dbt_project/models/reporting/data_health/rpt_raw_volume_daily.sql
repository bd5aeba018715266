-- Rows loaded per raw table and day, with the volume anomaly flag.
select
    source_table,
    load_date,
    cast(rows_loaded as bigint) as rows_loaded,
    cast(trailing_days as bigint) as trailing_days,
    cast(trailing_median as decimal(18, 3)) as trailing_median,
    cast(robust_z_score as decimal(18, 3)) as robust_z_score,
    is_anomaly
from {{ ref('raw_volume_daily') }}
