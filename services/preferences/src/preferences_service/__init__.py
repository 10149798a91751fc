"""preferences_service."""
