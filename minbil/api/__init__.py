"""Project-wide API pieces: envelope renderer, exception handler, request-id middleware."""
