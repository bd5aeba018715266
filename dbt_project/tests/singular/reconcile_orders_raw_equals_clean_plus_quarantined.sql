-- docs/raw-data.md: raw rows = clean rows + quarantined rows. For orders: every
-- current order in the raw CDC log (computed here from raw_data, independently
-- of the models) is either in fct_orders or quarantined, never both.
with raw_current as (

    select order_id
    from (
        select
            order_id,
            _cdc_op,
            row_number() over (partition by order_id order by _cdc_lsn desc) as recency
        from {{ source('shop', 'shop_orders') }}
    ) as ranked
    where recency = 1 and _cdc_op <> 'D'

),

accounted as (

    select
        order_id,
        'clean' as outcome
    from {{ ref('fct_orders') }}
    union all
    select
        record_id as order_id,
        'quarantined' as outcome
    from {{ ref('quarantined_rows') }}
    where source_table = 'shop_orders'

),

compared as (

    select
        coalesce(raw_current.order_id, accounted.order_id) as order_id,
        raw_current.order_id is not null as in_raw,
        count(accounted.order_id) as times_accounted
    from raw_current
    full outer join accounted
        on raw_current.order_id = accounted.order_id
    group by 1, 2

)

select * from compared
where not in_raw or times_accounted <> 1
