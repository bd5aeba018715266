"""Deliveries: subscriptions' reports sent to inboxes, chat and webhooks.

- :mod:`~report_service.delivery.ledger`: one row per delivery, exactly once;
- :mod:`~report_service.delivery.sender`: queueing, the sending loop, retries;
- :mod:`~report_service.delivery.channels`: the message per channel and how
  it is sent (SMTP or SES, Slack, Teams, signed webhooks);
- :mod:`~report_service.delivery.secrets`: the named secrets (URLs, keys).

What is due comes from the schedule file (:mod:`analytics_core.deliveries`).
"""
