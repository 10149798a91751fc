"""inkwell_e2e."""
