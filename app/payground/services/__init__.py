"""Operations on Payground's objects. No Flask request here: callers pass account, mode, clock."""
