-- Revenue, orders and units in the reporting views equal what the facts give
-- at the same grain (each view rounds revenue to cents at its own grain).
with fact_daily as (

    select
        items.order_date,
        customers.region,
        items.channel,
        round(sum(items.line_net_amount_usd), 2) as revenue_usd,
        count(distinct items.order_id) as orders,
        sum(items.quantity) as units_sold
    from {{ ref('fct_order_items') }} as items
    inner join {{ ref('dim_customers') }} as customers
        on items.customer_key = customers.customer_key
    where items.is_revenue_bearing
    group by 1, 2, 3

),

daily_mismatches as (

    select
        'rpt_daily_sales' as relation,
        fact_daily.order_date as period_start,
        fact_daily.region
    from fact_daily
    full outer join {{ ref('rpt_daily_sales') }} as reported
        on
            fact_daily.order_date = reported.order_date
            and fact_daily.region = reported.region
            and fact_daily.channel = reported.channel
    where
        reported.order_date is null
        or fact_daily.order_date is null
        or fact_daily.revenue_usd <> reported.revenue_usd
        or fact_daily.orders <> reported.orders
        or fact_daily.units_sold <> reported.units_sold

),

fact_monthly as (

    select
        cast({{ dbt.date_trunc('month', 'items.order_date') }} as date) as month_start,
        customers.region,
        round(sum(items.line_net_amount_usd), 2) as revenue_usd,
        count(distinct items.order_id) as orders
    from {{ ref('fct_order_items') }} as items
    inner join {{ ref('dim_customers') }} as customers
        on items.customer_key = customers.customer_key
    where items.is_revenue_bearing
    group by 1, 2

),

monthly_mismatches as (

    select
        'rpt_monthly_region_targets' as relation,
        fact_monthly.month_start,
        fact_monthly.region
    from fact_monthly
    left join {{ ref('rpt_monthly_region_targets') }} as reported
        on
            fact_monthly.month_start = reported.month_start
            and fact_monthly.region = reported.region
    where
        reported.month_start is null
        or fact_monthly.revenue_usd <> reported.revenue_usd
        or fact_monthly.orders <> reported.orders

),

fact_weekly as (

    select
        dates.week_start,
        round(sum(orders.order_net_amount_usd), 2) as revenue_usd
    from {{ ref('fct_orders') }} as orders
    inner join {{ ref('dim_dates') }} as dates
        on orders.order_date = dates.date_day
    where orders.is_revenue_bearing
    group by 1

),

reported_weekly as (

    select
        week_start,
        sum(revenue_usd) as revenue_usd
    from {{ ref('rpt_weekly_kpis') }}
    group by 1

),

weekly_mismatches as (

    select
        'rpt_weekly_kpis' as relation,
        fact_weekly.week_start,
        cast(null as varchar) as region
    from fact_weekly
    left join reported_weekly as reported
        on fact_weekly.week_start = reported.week_start
    -- regions are rounded one by one: allow a cent per region
    where
        reported.week_start is null
        or abs(fact_weekly.revenue_usd - reported.revenue_usd) > 0.04

)

select * from daily_mismatches
union all
select * from monthly_mismatches
union all
select * from weekly_mismatches
