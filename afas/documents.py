"""Saving dossier-item attachments under their own file names, safely.

AFAS file names need not be unique and may hold characters a file system refuses, so names are
cleaned, never leave the target folder, and a different file with the same name gets the file id
appended instead of overwriting.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from afas.atomic_files import write_atomically
from afas.client import AfasClient, Document

_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]+')


def safe_file_name(name: str, file_id: str) -> str:
    """A file name that stays inside its folder on every common file system."""
    cleaned = _UNSAFE.sub("_", os.path.basename(name.replace("\\", "/"))).strip(" .")
    return cleaned[:200] or f"document-{file_id}"


def save_document(document: Document, file_id: str, folder: Path) -> Path:
    """Write a document into `folder`; an identical existing file is kept, a different one is not overwritten."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_file_name(document.filename, file_id)
    if target.exists() and target.read_bytes() != document.data:
        target = target.with_name(f"{target.stem} ({file_id[:12]}){target.suffix}")
    if not target.exists() or target.read_bytes() != document.data:
        write_atomically(target, document.data)
    return target


def fetch_document(client: AfasClient, subject_id: int, file_id: str, folder: Path) -> Path:
    """Download one attachment through the subject connector and save it under its own name.

    >>> fetch_document(client, 1000017, "5C055C034516ED67972E0A852E03C5B9", Path("docs"))  # doctest: +SKIP
    PosixPath('docs/Factuur 2025-000123.pdf')
    """
    return save_document(client.document(subject_id, file_id), file_id, folder)
