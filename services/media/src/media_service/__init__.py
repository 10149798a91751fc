"""media_service."""
