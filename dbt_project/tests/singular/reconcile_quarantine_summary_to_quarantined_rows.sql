-- quarantine_summary counts every row of quarantined_rows exactly once: per
-- raw table and rule, and so in total.
with summarised as (

    select
        source_table,
        quarantine_rule,
        sum(rows_quarantined) as row_count
    from {{ ref('quarantine_summary') }}
    group by source_table, quarantine_rule

),

quarantined as (

    select
        source_table,
        quarantine_rule,
        count(*) as row_count
    from {{ ref('quarantined_rows') }}
    group by source_table, quarantine_rule

),

compared as (

    select
        coalesce(summarised.source_table, quarantined.source_table) as source_table,
        coalesce(summarised.quarantine_rule, quarantined.quarantine_rule) as quarantine_rule,
        coalesce(summarised.row_count, 0) as summarised_rows,
        coalesce(quarantined.row_count, 0) as quarantined_rows
    from summarised
    full outer join quarantined
        on
            summarised.source_table = quarantined.source_table
            and summarised.quarantine_rule = quarantined.quarantine_rule

)

select * from compared
where summarised_rows <> quarantined_rows
