"""Telling incident channels when restore jobs end.

targets: the webhook targets a project names in the projects file (read at start,
so nothing here may import models). models: subscriptions and one Notification
row per (job, target, transition). transitions and messages: pure functions.
outbox: what the watcher calls, finding transitions and delivering each message
once. send: the only code that posts to a webhook.
"""
