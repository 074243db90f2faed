"""Errors that reach people, each with its exit code and the fix, in Vietnamese and English."""

from __future__ import annotations

from enum import IntEnum

from sohoa.i18n import t


class ExitCode(IntEnum):
    """Process exit codes of the `sohoa` command (documented in the README)."""

    ok = 0
    internal = 1  # a bug: run again with -v and report the traceback
    usage = 2  # bad command line or option (click's own code)
    input_failed = 3  # some scans could not be read; the rest of the batch is stored
    missing_dependency = 4  # a program or language model is not installed
    archive_error = 5  # the archive store or index cannot be opened or written
    access_denied = 6  # the user's clearance does not allow this document
    not_found = 7  # no such document, batch or dossier
    bad_manifest = 8  # the batch manifest is invalid
    interrupted = 130  # Ctrl-C: the batch can be resumed by running the same command


class SohoaError(Exception):
    """An error a person can act on: a message in both languages and an exit code.

    Raise a subclass; pass the Vietnamese text first (`vi`) and English (`en`).
    Messages name the file at fault and say what to do.
    """

    exit_code: ExitCode = ExitCode.internal

    def __init__(self, vi: str, en: str) -> None:
        self.vi = vi
        self.en = en
        super().__init__(en)

    def message(self) -> str:
        """The message in the reader's language (SOHOA_LANG)."""
        return t(self.vi, self.en)

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # Errors cross process boundaries (worker -> parent); keep both texts.
        return (self.__class__, (self.vi, self.en))


class InputError(SohoaError):
    """A scan (file or page) cannot be read: corrupt, empty, encrypted, too large, unsupported."""

    exit_code = ExitCode.input_failed


class MissingDependency(SohoaError):
    """A program or language model is missing; the message names the apt package."""

    exit_code = ExitCode.missing_dependency


class ArchiveError(SohoaError):
    """The archive store, blob store or index cannot be opened, read or written."""

    exit_code = ExitCode.archive_error


class ServiceUnavailable(SohoaError):
    """A service the run needs (the Dask scheduler of a cluster) does not answer."""

    exit_code = ExitCode.archive_error


class AccessDenied(SohoaError):
    """The user's clearance is below the document's access level."""

    exit_code = ExitCode.access_denied


class NotFound(SohoaError):
    """No such document, batch or dossier in the archive."""

    exit_code = ExitCode.not_found


class ManifestError(SohoaError):
    """The batch manifest (sohoa.toml) is invalid; the message names the key and line."""

    exit_code = ExitCode.bad_manifest
