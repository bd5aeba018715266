-- docs/raw-data.md: raw rows = clean rows + quarantined rows, counted per raw table
-- and load day (the date of the current version's _loaded_at). Current raw
-- entities come from staging (the one place the CDC logs are read), clean
-- rows from the facts, quarantined rows from quarantine_summary. Fact rows
-- take the load day of their raw entity; one without a current raw entity
-- lands on a null load day and shows as a mismatch.
with raw_entities as (

    select
        'shop_orders' as source_table,
        order_id as record_id,
        cast(loaded_at as date) as load_date
    from {{ ref('stg_shop__orders') }}

    union all

    select
        'shop_order_items' as source_table,
        order_item_id as record_id,
        cast(loaded_at as date) as load_date
    from {{ ref('stg_shop__order_items') }}

),

clean_entities as (

    select
        'shop_orders' as source_table,
        order_id as record_id
    from {{ ref('fct_orders') }}

    union all

    select
        'shop_order_items' as source_table,
        order_item_id as record_id
    from {{ ref('fct_order_items') }}

),

raw_counts as (

    select
        source_table,
        load_date,
        count(*) as raw_rows
    from raw_entities
    group by source_table, load_date

),

clean_counts as (

    select
        clean_entities.source_table,
        raw_entities.load_date,
        count(*) as clean_rows
    from clean_entities
    left join raw_entities
        on
            clean_entities.source_table = raw_entities.source_table
            and clean_entities.record_id = raw_entities.record_id
    group by clean_entities.source_table, raw_entities.load_date

),

quarantined_counts as (

    select
        source_table,
        quarantine_date as load_date,
        sum(rows_quarantined) as quarantined_rows
    from {{ ref('quarantine_summary') }}
    group by source_table, quarantine_date

),

table_days as (

    select
        source_table,
        load_date
    from raw_counts
    union distinct
    select
        source_table,
        load_date
    from clean_counts
    union distinct
    select
        source_table,
        load_date
    from quarantined_counts

),

final as (

    select
        table_days.source_table,
        table_days.load_date,
        coalesce(raw_counts.raw_rows, 0) as raw_rows,
        coalesce(clean_counts.clean_rows, 0) as clean_rows,
        coalesce(quarantined_counts.quarantined_rows, 0) as quarantined_rows,
        coalesce(raw_counts.raw_rows, 0)
        - coalesce(clean_counts.clean_rows, 0)
        - coalesce(quarantined_counts.quarantined_rows, 0) as unaccounted_rows
    from table_days
    left join raw_counts
        on
            table_days.source_table = raw_counts.source_table
            and table_days.load_date is not distinct from raw_counts.load_date
    left join clean_counts
        on
            table_days.source_table = clean_counts.source_table
            and table_days.load_date is not distinct from clean_counts.load_date
    left join quarantined_counts
        on
            table_days.source_table = quarantined_counts.source_table
            and table_days.load_date is not distinct from quarantined_counts.load_date

)

select * from final
