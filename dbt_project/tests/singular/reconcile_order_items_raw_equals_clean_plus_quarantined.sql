-- docs/raw-data.md: raw rows = clean rows + quarantined rows, for order lines.
with raw_current as (

    select order_item_id
    from (
        select
            order_item_id,
            _cdc_op,
            row_number() over (partition by order_item_id order by _cdc_lsn desc) as recency
        from {{ source('shop', 'shop_order_items') }}
    ) as ranked
    where recency = 1 and _cdc_op <> 'D'

),

accounted as (

    select order_item_id from {{ ref('fct_order_items') }}
    union all
    select record_id as order_item_id from {{ ref('quarantined_rows') }}
    where source_table = 'shop_order_items'

),

compared as (

    select
        coalesce(raw_current.order_item_id, accounted.order_item_id) as order_item_id,
        raw_current.order_item_id is not null as in_raw,
        count(accounted.order_item_id) as times_accounted
    from raw_current
    full outer join accounted
        on raw_current.order_item_id = accounted.order_item_id
    group by 1, 2

)

select * from compared
where not in_raw or times_accounted <> 1
