"""Notifications: the bell, e-mail, and what triggers them.

Public modules: `queue` (the bell's notifications), `inbox` (preferences and the bell's list), `outbox` (e-mail
events and the checks that raise them), `mailer` (SMTP). Dependencies run one way: outbox -> inbox -> queue.
"""
