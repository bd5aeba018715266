"""The API's routers, one module per concern: :mod:`.reports` (the catalog),
:mod:`.jobs` (report jobs and their files), :mod:`.external` (Snowflake
external functions), :mod:`.operations` (health, readiness, metrics); what
they depend on in :mod:`.deps`, bodies and the error shape in
:mod:`.schemas`, error handlers in :mod:`.errors`."""
