{{ config(materialized='table') }}

-- The rate that applies to each currency on each calendar day: the rate with
-- the latest rate_date on or before that day (gaps and weekends carry the last
-- known rate forward). Days before a currency's first rate have no row, so
-- orders on them find no rate and are quarantined.
with rates as (

    select * from {{ ref('stg_fx__rates') }}

),

calendar as (

    {{ date_spine(var('calendar_start'), var('calendar_end')) }}

),

currencies as (

    select
        currency_code,
        min(rate_date) as first_rate_date
    from rates
    group by currency_code

),

currency_days as (

    select
        currencies.currency_code,
        calendar.date_day
    from currencies
    inner join calendar
        on currencies.first_rate_date <= calendar.date_day

),

as_of_dates as (

    select
        currency_days.currency_code,
        currency_days.date_day,
        max(rates.rate_date) over (
            partition by currency_days.currency_code
            order by currency_days.date_day
            rows between unbounded preceding and current row
        ) as rate_date
    from currency_days
    left join rates
        on
            currency_days.currency_code = rates.currency_code
            and currency_days.date_day = rates.rate_date

),

final as (

    select
        as_of_dates.currency_code,
        as_of_dates.date_day,
        as_of_dates.rate_date,
        rates.usd_per_unit
    from as_of_dates
    inner join rates
        on
            as_of_dates.currency_code = rates.currency_code
            and as_of_dates.rate_date = rates.rate_date

)

select * from final
