"""Reading specs: YAML with line numbers, safe expressions, and expansion into a named layer graph."""
