"""Every write of the notifications app: creating notifications, delivering them, reminder rules."""
