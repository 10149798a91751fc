"""What the dev stack reports to its user: every failure a user can cause or fix."""


class StackError(Exception):
    """Something the user can fix; printed as is, without a traceback."""


class AlreadyRunning(StackError):
    pass


class PortsInUse(StackError):
    pass


class ComponentFailed(StackError):
    pass


class Interrupted(Exception):
    """SIGINT/SIGTERM arrived while the stack was starting or running."""
