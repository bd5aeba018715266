-- One row per calendar day with the grains reports and questions slice by.
with calendar as (

    {{ date_spine(var('calendar_start'), var('calendar_end')) }}

),

final as (

    select
        date_day,
        {{ iso_week_start('date_day') }} as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(quarter from date_day) as integer) as calendar_quarter,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast({{ iso_year('date_day') }} as integer) as iso_year,
        cast({{ iso_week_of_year('date_day') }} as integer) as iso_week,
        cast({{ iso_day_of_week('date_day') }} as integer) as iso_day_of_week,
        {{ iso_day_of_week('date_day') }} in (6, 7) as is_weekend
    from calendar

)

select * from final
