{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['source_table', 'load_date'],
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}
{%- set settings = volume_anomaly_settings() -%}

-- Rows loaded per raw table per load day (date of _loaded_at, UTC), with a
-- day for every date from the table's first load to the latest load across
-- the raw tables (a day without a load counts 0), and a robust z-score of
-- each day against its trailing window. Keeps history: the full extracts
-- (customers, products) move a row's _loaded_at when it changes, so their
-- past counts cannot be recomputed later. Each run recomputes from the last
-- day it recorded (which may have been partly loaded) onwards; earlier days
-- are read back from the table as history. full_refresh is off.
with

{% if is_incremental() %}
recorded as (

    select
        source_table,
        min(load_date) as first_load_date,
        max(load_date) as last_recorded_date
    from {{ this }}
    group by source_table

),
{% endif %}

raw_loads as (

    {% for source_name, table_name in volume_source_tables() %}
        select
            '{{ table_name }}' as source_table,
            cast(_loaded_at as date) as load_date
        from {{ source(source_name, table_name) }}
        {% if is_incremental() %}
            where _loaded_at >= coalesce(
                (
                    select cast(recorded.last_recorded_date as timestamp) from recorded
                    where recorded.source_table = '{{ table_name }}'
                ),
                cast('1900-01-01' as timestamp)
            )
        {% endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

loaded_days as (

    select
        source_table,
        load_date,
        count(*) as rows_loaded
    from raw_loads
    group by source_table, load_date

),

latest_load as (

    select max(load_date) as last_load_date
    from loaded_days

),

-- A table's first load day, and the first day this run computes: the last
-- recorded day on an incremental run (loaded_days holds only days on or
-- after it), else the first load day.
table_starts as (

    select
        source_table,
        load_date as first_load_date,
        load_date as compute_from_date
    from loaded_days
    {% if is_incremental() %}
        union all
        select
            source_table,
            first_load_date,
            last_recorded_date as compute_from_date
        from recorded
    {% endif %}

),

table_bounds as (

    select
        table_starts.source_table,
        min(table_starts.first_load_date) as first_load_date,
        min(table_starts.compute_from_date) as compute_from_date,
        max(latest_load.last_load_date) as last_load_date
    from table_starts
    cross join latest_load
    group by table_starts.source_table

),

day_offsets as (

    {{ volume_day_offsets() }}

),

spine as (

    {%- set day_count = dbt.datediff(
        'table_bounds.compute_from_date', 'table_bounds.last_load_date', 'day') %}

    select
        table_bounds.source_table,
        cast(
            {{ dbt.dateadd('day', 'day_offsets.day_offset', 'table_bounds.compute_from_date') }}
            as date
        ) as load_date
    from table_bounds
    inner join day_offsets
        on day_offsets.day_offset <= {{ day_count }}

),

counted_days as (

    select
        spine.source_table,
        spine.load_date,
        coalesce(loaded_days.rows_loaded, 0) as rows_loaded
    from spine
    left join loaded_days
        on
            spine.source_table = loaded_days.source_table
            and spine.load_date = loaded_days.load_date

),

-- Every day a trailing window can reach: the days computed now and, on an
-- incremental run, the recorded days before them.
history as (

    select
        source_table,
        load_date,
        rows_loaded
    from counted_days
    {% if is_incremental() %}
        union all
        select
            earlier.source_table,
            earlier.load_date,
            earlier.rows_loaded
        from {{ this }} as earlier
        inner join table_bounds
            on earlier.source_table = table_bounds.source_table
        where
            earlier.load_date < table_bounds.compute_from_date
            and earlier.load_date >= cast(
                {{ dbt.dateadd('day', -settings.window_days, 'table_bounds.compute_from_date') }}
                as date
            )
    {% endif %}

),

window_offsets as (

    select day_offset
    from day_offsets
    where day_offset between 1 and {{ settings.window_days }}

),

-- Each day paired with the days of its trailing window (before it, not
-- including it). A self-join and group by, because Snowflake's MEDIAN takes no
-- window frame.
trailing_pairs as (

    select
        counted_days.source_table,
        counted_days.load_date,
        history.rows_loaded as trailing_rows
    from counted_days
    cross join window_offsets
    inner join history
        on
            counted_days.source_table = history.source_table
            and history.load_date = cast(
                {{ dbt.dateadd('day', '-window_offsets.day_offset', 'counted_days.load_date') }}
                as date
            )

),

trailing_medians as (

    select
        source_table,
        load_date,
        count(*) as trailing_days,
        median(trailing_rows) as trailing_median
    from trailing_pairs
    group by source_table, load_date

),

trailing_deviations as (

    select
        trailing_pairs.source_table,
        trailing_pairs.load_date,
        median(abs(trailing_pairs.trailing_rows - trailing_medians.trailing_median))
            as trailing_mad,
        avg(abs(trailing_pairs.trailing_rows - trailing_medians.trailing_median))
            as trailing_mean_absolute_deviation
    from trailing_pairs
    inner join trailing_medians
        on
            trailing_pairs.source_table = trailing_medians.source_table
            and trailing_pairs.load_date = trailing_medians.load_date
    group by trailing_pairs.source_table, trailing_pairs.load_date

),

scored as (

    select
        counted_days.source_table,
        counted_days.load_date,
        counted_days.rows_loaded,
        coalesce(trailing_medians.trailing_days, 0) as trailing_days,
        cast(trailing_medians.trailing_median as double) as trailing_median,
        cast(trailing_deviations.trailing_mad as double) as trailing_mad,
        cast(trailing_deviations.trailing_mean_absolute_deviation as double)
            as trailing_mean_absolute_deviation,
        case
            when trailing_deviations.trailing_mad > 0 then 'mad'
            when trailing_deviations.trailing_mean_absolute_deviation > 0
                then 'mean_absolute_deviation'
            when trailing_medians.trailing_days > 0 then 'no_spread'
            else 'no_history'
        end as deviation_method,
        case
            when trailing_deviations.trailing_mad > 0
                then cast(
                    0.6745 * (counted_days.rows_loaded - trailing_medians.trailing_median)
                    / trailing_deviations.trailing_mad
                    as double
                )
            when trailing_deviations.trailing_mean_absolute_deviation > 0
                then cast(
                    (counted_days.rows_loaded - trailing_medians.trailing_median)
                    / (1.2533 * trailing_deviations.trailing_mean_absolute_deviation)
                    as double
                )
        end as robust_z_score
    from counted_days
    left join trailing_medians
        on
            counted_days.source_table = trailing_medians.source_table
            and counted_days.load_date = trailing_medians.load_date
    left join trailing_deviations
        on
            counted_days.source_table = trailing_deviations.source_table
            and counted_days.load_date = trailing_deviations.load_date

),

final as (

    select
        source_table,
        load_date,
        rows_loaded,
        trailing_days,
        trailing_median,
        trailing_mad,
        trailing_mean_absolute_deviation,
        deviation_method,
        robust_z_score,
        coalesce(
            case
                when trailing_days < {{ settings.min_history_days }} then false
                when robust_z_score is not null
                    then abs(robust_z_score) > {{ settings.z_threshold }}
                else rows_loaded <> trailing_median
            end,
            false
        ) as is_anomaly
    from scored

)

select * from final
