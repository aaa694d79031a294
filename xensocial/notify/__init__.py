"""Alerting: the events a person must act on, told to the targets of `[[notify]]`, once.

    events.py    what is wrong now, found by the functions that already decide it
    job.py       the daemon's job: detect, record (`content_queue.notices`), send, mark
    send.py      one notification to one target: its words, its secrets, its sender
    email.py     SMTP: any `EmailMessage` through an `email` target (alerts, the report)
    webhooks.py  webhook (JSON, HMAC-signed), Matrix, Slack and Discord

The configuration is read in `xensocial.config.notify`; the guarantees are in
docs/notifications.md.
"""
