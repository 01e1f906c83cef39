"""Staff accounts, their sessions and API tokens, and the audit log of what staff do."""
