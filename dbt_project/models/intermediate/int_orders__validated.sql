-- Every current order with its USD rate and the first validation rule it
-- breaks (null when valid). The rules are those of raw-data.md.
with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

customers as (

    select customer_id from {{ ref('stg_shop__customers') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates__daily') }}

),

joined as (

    select
        orders.*,
        case
            when customers.customer_id is not null then orders.customer_id
            else {{ var('unknown_key') }}
        end as customer_key,
        case
            when orders.currency_code = 'USD' then cast(1 as decimal(18, 8))
            else fx_rates.usd_per_unit
        end as usd_per_unit,
        case
            when orders.currency_code = 'USD' then orders.order_date
            else fx_rates.rate_date
        end as fx_rate_date
    from orders
    left join customers
        on orders.customer_id = customers.customer_id
    left join fx_rates
        on
            orders.currency_code = fx_rates.currency_code
            and orders.order_date = fx_rates.date_day

),

validated as (

    select
        *,
        case
            when
                order_ts > {{ dbt.dateadd('day', var('future_order_tolerance_days'), 'loaded_at') }}
                then 'future_dated_order'
            when usd_per_unit is null
                then 'missing_fx_rate'
        end as quarantine_rule
    from joined

)

select * from validated
