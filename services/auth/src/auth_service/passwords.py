"""Argon2 password hashing (pwdlib), with the cost taken from settings."""

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


def make_password_hash(time_cost: int, memory_kib: int) -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))
