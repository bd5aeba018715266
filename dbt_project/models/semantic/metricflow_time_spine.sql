-- A table, unlike the rest of semantic/: every metric query MetricFlow
-- compiles joins it, and a view would recompute the calendar each time.
{{ config(materialized='table') }}

-- The day-grain time spine MetricFlow needs (cumulative metrics, filling
-- empty periods, metric_time); the same calendar as dim_dates.
select cast(date_day as date) as date_day
from {{ ref('dim_dates') }}
