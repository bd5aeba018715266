-- The latest freshness check of every source table ever checked.
with

history as (

    select * from {{ ref('source_freshness_history') }}

),

ranked as (

    select
        history.*,
        row_number() over (
            partition by history.unique_id
            order by history.checked_at desc, history.invocation_id desc
        ) as recency
    from history

),

final as (

    select
        unique_id,
        source_name,
        table_name,
        status,
        max_loaded_at,
        checked_at,
        age_seconds,
        warn_after_seconds,
        error_after_seconds,
        is_breach,
        invocation_id as last_invocation_id,
        message
    from ranked
    where recency = 1

)

select * from final
