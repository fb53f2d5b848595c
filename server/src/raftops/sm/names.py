"""Name rules: SM policy names (SMUtils.validateSMPolicyName), snapshot and repository names
(OpenSearch SnapshotsService/RepositoriesService.validate), and the blob names snapshots are stored under."""

from __future__ import annotations

import unicodedata

from ..errors import UpstreamError, illegal_argument, validation_failed

# org.opensearch.core.common.Strings.INVALID_FILENAME_CHARS, in the order the docs print the set.
INVALID_FILENAME_CHARS = ("\\", "/", "*", "?", '"', "<", ">", "|", " ", ",")
INVALID_FILENAME_TEXT = "[" + ", ".join(INVALID_FILENAME_CHARS) + "]"
POLICY_DOC_SUFFIX = "-sm-policy"
MAX_BLOB_NAME = 255
MAX_DOC_ID_BYTES = 512  # IndexRequest.validate: a document id is at most 512 bytes (UTF-8)
_BLOB_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")
ARCHIVE_SUFFIX = ".tar.gz"
INFO_SUFFIX = ".json"


def valid_file_name(name: str) -> bool:
    return not any(c in INVALID_FILENAME_CHARS for c in name)


def has_control_character(name: str) -> bool:
    """C0/C1 controls and DEL (Unicode category Cc): upstream would store them and then fail to send the
    ``Location`` header or to write a snapshot's file, so raftops refuses them before any write."""
    return any(unicodedata.category(c) == "Cc" for c in name)


def check_doc_id(doc_id: str) -> None:
    """IndexRequest.validate's id length rule (400 ``Validation Failed``), before anything is written."""
    size = len(doc_id.encode())
    if size > MAX_DOC_ID_BYTES:
        shown = doc_id if len(doc_id) <= 100 else doc_id[:100] + "..."
        raise validation_failed(
            f"id [{shown}] is too long, must be no longer than {MAX_DOC_ID_BYTES} bytes but was: {size}"
        )


def check_policy_name(name: str) -> str:
    """Every failed rule, joined with newlines, in one 400 (create, update, start and stop)."""
    errors = []
    if not name:
        errors.append("Policy name cannot be empty.")
    if " " in name:
        errors.append("Policy name must not contain whitespace.")
    if "," in name:
        errors.append("Policy name must not contain ','.")
    if "#" in name:
        errors.append("Policy name must not contain '#'.")
    if name.startswith("_"):
        errors.append("Policy name must not start with '_'.")
    if name.lower() != name:
        errors.append("Policy name must be lowercase.")
    if not valid_file_name(name):
        errors.append(f"Policy name must not contain the following characters {INVALID_FILENAME_TEXT}.")
    if has_control_character(name):
        errors.append("Policy name must not contain control characters.")
    if errors:
        raise illegal_argument("\n".join(errors))
    return name


def policy_doc_id(name: str) -> str:
    return name + POLICY_DOC_SUFFIX


def invalid_snapshot_name(repository: str, snapshot: str, why: str) -> UpstreamError:
    return UpstreamError(
        400, "invalid_snapshot_name_exception", f"[{repository}:{snapshot}] Invalid snapshot name [{snapshot}], {why}"
    )


def check_snapshot_name(repository: str, name: str) -> str:
    """SnapshotsService.validate, plus the length the repository's blob names allow."""
    why = None
    if not name:
        why = "cannot be empty"
    elif " " in name:
        why = "must not contain whitespace"
    elif "," in name:
        why = "must not contain ','"
    elif "#" in name:
        why = "must not contain '#'"
    elif name.startswith("_"):
        why = "must not start with '_'"
    elif name.lower() != name:
        why = "must be lowercase"
    elif not valid_file_name(name):
        why = f"must not contain the following characters {INVALID_FILENAME_TEXT}"
    elif has_control_character(name):
        why = "must not contain control characters"
    elif len(blob_base(name)) + len(ARCHIVE_SUFFIX) > MAX_BLOB_NAME:
        why = f"must be shorter: its repository file name would exceed {MAX_BLOB_NAME} bytes"
    if why:
        raise invalid_snapshot_name(repository, name, why)
    return name


def repository_error(repository: str, message: str, status: int = 500) -> UpstreamError:
    """RepositoryException: ``[<name>] <message>`` (a 500 in OpenSearch unless a subclass says otherwise)."""
    return UpstreamError(status, "repository_exception", f"[{repository}] {message}")


def check_repository_name(name: str) -> str:
    """RepositoriesService.validate. Upstream answers these with a 500 RepositoryException; they are the
    client's mistake, so raftops answers 400 with the same type and reason (docs/api/sm.md)."""
    if not name:
        raise repository_error(name, "cannot be empty", 400)
    if "#" in name:
        raise repository_error(name, "must not contain '#'", 400)
    if not valid_file_name(name):
        raise repository_error(name, f"must not contain the following characters {INVALID_FILENAME_TEXT}", 400)
    if has_control_character(name):
        raise repository_error(name, "must not contain control characters", 400)
    return name


def blob_base(name: str) -> str:
    """An injective mapping of a snapshot name onto the repository's portable blob names.

    Safe characters stay; any other byte becomes ``+XX`` (hex). Blob names must start with a letter
    or digit, so a name that does not gets the prefix ``x+`` (never produced otherwise: an escaped
    ``+`` is always followed by two hex digits).
    """
    out = []
    for i, ch in enumerate(name):
        if ch in _BLOB_SAFE and (i > 0 or ch.isalnum()):
            out.append(ch)
        else:
            out.extend(f"+{b:02X}" for b in ch.encode())
    text = "".join(out)
    return text if text[:1].isalnum() else "x+" + text


def archive_blob(name: str) -> str:
    return blob_base(name) + ARCHIVE_SUFFIX


def info_blob(name: str) -> str:
    return blob_base(name) + INFO_SUFFIX
