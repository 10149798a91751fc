"""Test helpers shared by every service's suite (a pytest plugin plus small building blocks)."""
