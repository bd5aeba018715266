-- One rate per currency and day; a re-delivered rate replaces the earlier one.
with source as (

    select * from {{ source('fx', 'fx_rates') }}

),

latest_delivery as (

    select *
    from source
    qualify row_number() over (
        partition by rate_date, currency order by _loaded_at desc, usd_per_unit desc
    ) = 1

),

renamed as (

    select
        cast(rate_date as date) as rate_date,
        upper(currency) as currency_code,
        cast(usd_per_unit as decimal(18, 8)) as usd_per_unit,
        cast(_loaded_at as timestamp) as loaded_at
    from latest_delivery

)

select * from renamed
