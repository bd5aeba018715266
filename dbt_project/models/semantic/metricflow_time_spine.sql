{{ config(materialized='table', schema='processed_data', access='protected') }}

-- The day-grain time spine MetricFlow needs (cumulative metrics, filling
-- empty periods, metric_time); the same calendar as dim_dates.
select cast(date_day as date) as date_day
from {{ ref('dim_dates') }}
