{#-
    Warns (never fails) with the anomalous rows of the most recent load day(s)
    of a volume model such as monitoring.raw_volume_daily: a raw table that
    loaded far more or fewer rows than its trailing days, or nothing at all.
    Older anomalies stay in the model for the scorecard; only new ones warn.
    `recent_days` (default 1) is how many days, counted back from the latest
    load day in the model, are checked.
-#}
{% test no_volume_anomaly(model, date_column='load_date', recent_days=1) %}
    {{ config(severity='warn') }}
    select *
    from {{ model }}
    where
        is_anomaly
        and {{ date_column }} > (
            select
                cast({{ dbt.dateadd('day', -recent_days, 'max(' ~ date_column ~ ')') }} as date)
            from {{ model }}
        )
{% endtest %}
