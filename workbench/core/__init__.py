"""Core: domain values, errors, references, hashing and the clock. No I/O here."""
