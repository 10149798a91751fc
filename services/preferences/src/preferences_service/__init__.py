"""The preferences service: each user's settings (city, units) in MongoDB."""
