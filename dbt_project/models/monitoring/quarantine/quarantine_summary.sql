-- Quarantined rows counted by raw table, rule and the day the row (its
-- latest version) was loaded: what the data-quality scorecard reports.
with quarantined as (

    select
        source_table,
        quarantine_rule,
        cast(loaded_at as date) as quarantine_date
    from {{ ref('quarantined_rows') }}

),

final as (

    select
        source_table,
        quarantine_rule,
        quarantine_date,
        count(*) as rows_quarantined
    from quarantined
    group by source_table, quarantine_rule, quarantine_date

)

select * from final
