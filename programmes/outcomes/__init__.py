"""What came of the meetings: the follow-ups ledger (actions with an owner and a due date, nudged by email
when due, done or overdue on the dashboard)."""
