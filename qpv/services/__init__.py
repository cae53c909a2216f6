"""Services (writes) of the qpv app: follows of a QPV, the neighbourhood news."""
