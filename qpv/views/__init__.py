"""Views of the qpv app: following a QPV, the neighbourhood news."""
