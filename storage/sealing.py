"""Secrets at rest: api.tokens, live links, agents' user tokens and supporting data, sealed with Fernet.

`IDV_ENCRYPTION_KEY` holds one or more Fernet keys, comma-separated: the first seals, every one opens (a rotation
lists the new key first and the old after it until the bot has re-sealed at start-up). A sealed value is stored as
`fernet:<token>`; a value without the prefix was written in clear (before a key was set) and is read as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from storage.schema import DatabaseUnusable

PREFIX = "fernet:"


class SealedWithoutKey(DatabaseUnusable):
    """The database holds sealed secrets and no key (or not the key) that opens them was given."""


def valid_key(key: str) -> bool:
    try:
        Fernet(key.encode())
        return True
    except (ValueError, TypeError):
        return False


def new_key() -> str:
    return Fernet.generate_key().decode()


class Sealer:
    """Seals and opens one column value at a time; without keys, values pass through in clear."""

    def __init__(self, keys: Sequence[str] = ()) -> None:
        self._keys = [key for key in keys if key]
        self._fernet = MultiFernet([Fernet(key.encode()) for key in self._keys]) if self._keys else None

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def seal(self, value: str | None) -> str | None:
        if value is None or self._fernet is None:
            return value
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def open(self, value: str | None) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value
        if self._fernet is None:
            raise SealedWithoutKey("the database holds secrets sealed with IDV_ENCRYPTION_KEY; set the key")
        try:
            return self._fernet.decrypt(value[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SealedWithoutKey(
                "IDV_ENCRYPTION_KEY does not open the secrets in the database; give the key "
                "they were sealed with (after a new one, comma-separated)"
            ) from None

    def reseal(self, value: str | None) -> str | None:
        """The value sealed under the first key (clear ones sealed, old keys' ones rotated); None if unchanged."""
        if value is None or self._fernet is None:
            return None
        if not value.startswith(PREFIX):
            return self.seal(value)
        token = value[len(PREFIX) :].encode()
        try:
            Fernet(self._keys[0].encode()).decrypt(token)
            return None
        except InvalidToken:
            pass
        try:
            return PREFIX + self._fernet.rotate(token).decode()
        except InvalidToken:
            raise SealedWithoutKey(
                "IDV_ENCRYPTION_KEY does not open the secrets in the database; give the key "
                "they were sealed with (after a new one, comma-separated)"
            ) from None
