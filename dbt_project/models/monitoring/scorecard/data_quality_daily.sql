-- The data-quality scorecard per day (macros/monitoring/scorecard.sql says
-- what it counts). A view: it reads the run logs, which the on-run-end hook
-- appends to after the models have run, so a table would always be one run
-- behind and would never show a failed build.
{{ data_quality_scorecard('day', 'date_day') }}
