"""Services: keyword-only functions that take a session and plain values, own the commit, and
raise the domain errors of `inspection.errors`. Views call one of them and render the result."""
