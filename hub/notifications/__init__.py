"""Notifications: subscriptions (event types x application and cluster selectors -> a webhook), the
notifier that turns audit events into deliveries, the deliverer that sends them (signed, retried with
backoff, recorded), and the monitor that records clusters going unreachable and coming back."""
