-- The data-quality scorecard per calendar month, the numbers the
-- monthly_data_quality report renders (macros/monitoring/scorecard.sql).
-- A view for the same reason as data_quality_daily (folder config).
{{ data_quality_scorecard('month', 'month_start') }}
