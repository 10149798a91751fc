"""Stand-ins for third parties the system calls (no test may reach the internet)."""
