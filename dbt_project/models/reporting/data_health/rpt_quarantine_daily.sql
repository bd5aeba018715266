-- Raw rows kept out of the facts, per load day, raw table and rule.
select
    quarantine_date,
    source_table,
    quarantine_rule,
    cast(rows_quarantined as bigint) as rows_quarantined
from {{ ref('quarantine_summary') }}
