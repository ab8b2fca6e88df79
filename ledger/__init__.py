"""Members, accounts and the double-entry time-credit ledger of a village time bank."""
