-- The high-water mark of this run: the latest _loaded_at across every raw
-- table the facts are built from. The incremental models record it on the
-- rows they write (_high_water_mark); the next run treats every raw row
-- loaded after it as new. One row. Read from staging, which carries every
-- raw row's load time (the change logs and the full extracts row for row;
-- stg_fx__rates keeps each rate's latest delivery, which is the latest load).
-- A view, so each reader sees the raw data as of its own run, as before.
with loads as (

    select max(loaded_at) as loaded_at from {{ ref('stg_shop__order_changes') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_shop__order_item_changes') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_shop__customers') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_shop__products') }}
    union all
    select max(loaded_at) as loaded_at from {{ ref('stg_fx__rates') }}

),

final as (

    select max(loaded_at) as high_water_mark
    from loads

)

select * from final
