"""auth_service."""
