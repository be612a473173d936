"""Rapid response: a question with a deadline of days, a panel proposed by matching, written answers by
private link, compiled into a brief (a write-up) and thanked."""
