"""Pack a model cache's entries into one .tar.gz and unpack one into a cache, verifying every file.

An instructor hands the archive out, or unpacks it into a class server's shared folder
(``AE_SHARED_CACHE_DIR``). It holds the entry files of ``helpers.cache`` (``<key>.keras`` with its
manifest ``<key>.json``, and ``<key>.result.json``) and ``SHA256SUMS`` in ``sha256sum`` format, so
``sha256sum -c SHA256SUMS`` checks an unpacked copy too. Exporting leaves out damaged entries;
importing checks each file against ``SHA256SUMS`` and each model manifest against its ``.keras``
hash (as the cache does on a hit), refuses absolute paths, ``..`` and links, never unpacks with
``extractall``, writes each file whole and never replaces an entry that is already there.
"""

import contextlib
import dataclasses
import gzip
import hashlib
import json
import os
import re
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from helpers.cache import FORMAT_VERSION
from helpers.cache_files import atomic_write, sha256_of_stream, unwritable_reason

SUMS_NAME = "SHA256SUMS"
ENTRY_FILE = re.compile(r"(?P<key>[0-9a-f]{24})(?P<suffix>\.keras|\.result\.json|\.json)")
MAX_JSON_BYTES = 64 << 20   # a manifest or result larger than this is not one the cache wrote
UNREADABLE = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)   # a damaged archive


@dataclasses.dataclass
class ArchiveReport:
    """What an export or import did: entries (named by their manifest file) added, and skipped ones
    with the reason, which starts with one of: already present, damaged, unknown format, path
    traversal attempt."""
    added: list[str] = dataclasses.field(default_factory=list)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    bytes: int = 0   # size of the files added


def _entry_files(name: str) -> tuple[str, ...] | None:
    """The files of the entry whose manifest is ``name`` (manifest last), or None if it is none."""
    match = ENTRY_FILE.fullmatch(name)
    if match is None or match["suffix"] == ".keras":
        return None
    return (name,) if match["suffix"] == ".result.json" else (f"{match['key']}.keras", name)


def _manifest_of(name: str) -> str | None:
    """The manifest file of the entry that ``name`` belongs to, or None if it is no cache entry file."""
    match = ENTRY_FILE.fullmatch(name)
    return None if match is None else f"{match['key']}.json" if match["suffix"] == ".keras" else name


def cache_entries(folder) -> dict[str, tuple[str, ...]]:
    """The entries in ``folder`` with all their files: manifest name -> file names (manifest last).

    Lock, temp and other files are not entries; a model file without its manifest is not one yet.
    """
    names = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    entries = {name: _entry_files(name) for name in sorted(names)}
    return {name: files for name, files in entries.items() if files and set(files) <= names}


def _problem(manifest_name: str, manifest: bytes, sha256: dict[str, str]) -> str | None:
    """Why the entry with this manifest text and these file hashes is not one to copy, else None."""
    try:
        stored = json.loads(manifest)
    except ValueError as err:
        return f"damaged: {manifest_name} is not JSON ({err})"
    if not isinstance(stored, dict):
        return f"damaged: {manifest_name} holds a JSON {type(stored).__name__}, not an object"
    if stored.get("format") != FORMAT_VERSION:
        return f"unknown format: cache format {stored.get('format')!r}; this version reads {FORMAT_VERSION}"
    model_file = _entry_files(manifest_name)[0]
    if model_file == manifest_name:
        return None if "result" in stored else f"damaged: {manifest_name} has no result"
    if (stored.get("model_file"), stored.get("model_sha256")) != (model_file, sha256[model_file]):
        return (f"damaged: the manifest names {stored.get('model_file')!r} with SHA-256 "
                f"{stored.get('model_sha256')!r}, but {model_file} has SHA-256 {sha256[model_file]}")
    return None


def export_archive(folder, archive) -> ArchiveReport:
    """Write the good entries of cache ``folder`` to ``archive`` (.tar.gz, written whole, its folder
    created if needed).

    Damaged entries are skipped with the reason. Each entry's files are read from descriptors opened
    once, so an entry rebuilt meanwhile is still copied consistently (the cache replaces, never edits).
    """
    folder, report, sums = Path(folder), ArchiveReport(), {}
    if not folder.is_dir():
        raise FileNotFoundError(f"There is no cache folder {folder} to archive; pass the folder that "
                                "`make cache` filled (CACHE_DIR=..., or AE_CACHE_DIR).")

    def write(path):
        with tarfile.open(path, "w:gz") as tar:
            for manifest_name, names in cache_entries(folder).items():
                with contextlib.ExitStack() as stack:
                    try:
                        files = {name: stack.enter_context(open(folder / name, "rb")) for name in names}
                        hashes = {name: sha256_of_stream(file) for name, file in files.items()}
                        files[manifest_name].seek(0)
                        problem = _problem(manifest_name, files[manifest_name].read(MAX_JSON_BYTES), hashes)
                    except OSError as err:
                        problem = f"damaged: cannot read {err.filename} ({err.strerror or err})"
                    if problem:
                        report.skipped[manifest_name] = problem
                        continue
                    for name, file in files.items():
                        status = os.fstat(file.fileno())
                        info = tarfile.TarInfo(name)
                        info.size, info.mtime, info.mode = status.st_size, int(status.st_mtime), 0o644
                        file.seek(0)
                        tar.addfile(info, file)
                        report.bytes += status.st_size
                    sums.update(hashes)
                    report.added.append(manifest_name)
            text = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items())).encode()
            info = tarfile.TarInfo(SUMS_NAME)
            info.size, info.mode = len(text), 0o644
            tar.addfile(info, _BytesReader(text))

    Path(archive).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(Path(archive), write)
    return report


class _BytesReader:
    """A minimal file object over ``data`` (``tarfile.addfile`` only reads it)."""

    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def read(self, size=-1):
        end = len(self.data) if size is None or size < 0 else self.offset + size
        chunk, self.offset = self.data[self.offset:end], min(end, len(self.data))
        return chunk


def _member_problem(member: tarfile.TarInfo) -> str | None:
    """Why a member is refused before it is read (None if it may be a cache entry file)."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts:
        return f"path traversal attempt: the archive names {member.name!r}"
    if member.issym() or member.islnk():
        where = PurePosixPath(member.linkname)
        if where.is_absolute() or ".." in where.parts:
            return f"path traversal attempt: {member.name!r} is a link to {member.linkname!r}"
        return f"unknown format: {member.name!r} is a link, not a cache entry file"
    if not member.isfile():
        return f"unknown format: {member.name!r} is not a regular file"
    if len(path.parts) != 1 or (_manifest_of(path.name) is None and path.name != SUMS_NAME):
        return f"unknown format: {member.name!r} is not a cache entry file"
    return None


def _read_sums(text: bytes, archive) -> dict[str, str]:
    """The ``SHA256SUMS`` lines as name -> digest (``*name``, binary mode, is accepted too)."""
    sums = {}
    for line in text.decode(errors="replace").splitlines():
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line.strip())
        if match is None:
            raise ValueError(f"{archive}: line {line[:80]!r} of {SUMS_NAME} is not `<sha256>  <file>`; "
                             "the archive is damaged. Write it again with `make cache-archive`.")
        sums[match[2]] = match[1]
    return sums


def import_archive(archive, into) -> ArchiveReport:
    """Add the entries of ``archive`` to cache folder ``into`` that pass verification.

    An entry already in ``into`` is left as it is. Raises ``ValueError`` if ``archive`` is not a
    cache archive at all (no tar, or no ``SHA256SUMS``), ``OSError`` if ``into`` cannot be written.
    """
    into, report = Path(into), ArchiveReport()
    problem = unwritable_reason(into)
    if problem:
        raise OSError(f"Cannot import into {into}: {problem}. Pass a writable folder with --into (or set "
                      "AE_CACHE_DIR); AE_SHARED_CACHE_DIR is only read by the notebooks.")
    try:
        tar = tarfile.open(archive, "r:*")   # noqa: SIM115 - the ``with`` below closes it
    except (tarfile.TarError, OSError) as err:
        raise ValueError(f"{archive} is not a cache archive ({err}); pass a .tar.gz written by "
                         "`make cache-archive`.") from err
    with tar:
        members, small = _scan(tar, archive, report)
        if SUMS_NAME not in small:
            raise ValueError(f"{archive} has no {SUMS_NAME}, so its files cannot be verified; write it "
                             "with `make cache-archive`.")
        sums = _read_sums(small.pop(SUMS_NAME), archive)
        members.pop(SUMS_NAME)
        manifests = {_manifest_of(name) for name in (*members, *sums)} - {None, *report.skipped}
        for manifest_name in sorted(manifests):   # the archive's order: the model files are read forward
            reason = _import_entry(tar, manifest_name, members, small, sums, into)
            if reason:
                report.skipped[manifest_name] = reason
            else:
                report.added.append(manifest_name)
                report.bytes += sum(members[name].size for name in _entry_files(manifest_name))
    return report


def _scan(tar: tarfile.TarFile, archive, report: ArchiveReport) -> tuple[dict, dict]:
    """One forward pass: the members that may be entry files by name, and the JSON files' bytes.

    Refused or repeated members go to ``report.skipped``; a corrupt archive is one ``ValueError``.
    """
    members, small = {}, {}
    try:
        for member in tar:
            name = member.name.removeprefix("./")   # `tar czf ... -C folder .` writes ./<name>
            if member.isdir() and name in ("", "."):
                continue
            refused = _member_problem(member)
            if refused:
                report.skipped[member.name] = refused
            elif name in members:
                report.skipped[_manifest_of(name) or name] = f"damaged: {name} appears twice in the archive"
            else:
                members[name] = member
                if name.endswith(".json") or name == SUMS_NAME:
                    small[name] = tar.extractfile(member).read(MAX_JSON_BYTES + 1)
    except UNREADABLE as err:
        raise ValueError(f"{archive} is damaged ({type(err).__name__}: {err}), perhaps cut short while "
                         "copying; copy it again, or write it again with `make cache-archive`.") from err
    return members, small


def _import_entry(tar, manifest_name, members, small, sums, into: Path) -> str | None:
    """Verify one entry and write its files into ``into`` (manifest last); the reason if skipped."""
    names = _entry_files(manifest_name)
    if (into / manifest_name).exists():
        return f"already present in {into} (left as it is)"
    for name in names:
        if name not in members:
            return f"damaged: {name} is missing from the archive"
        if name not in sums:
            return f"damaged: {name} is not listed in {SUMS_NAME}"
    if len(small[manifest_name]) > MAX_JSON_BYTES:
        return f"damaged: {manifest_name} is larger than any manifest the cache writes"
    if hashlib.sha256(small[manifest_name]).hexdigest() != sums[manifest_name]:
        return f"damaged: the SHA-256 of {manifest_name} differs from {SUMS_NAME}"
    problem = _problem(manifest_name, small[manifest_name], sums)
    if problem:
        return problem
    try:
        for name in names[:-1]:   # the model file, streamed: it may be large
            atomic_write(into / name, lambda path, name=name: _copy_member(tar, members[name], path),
                         expected_sha256=sums[name])
        atomic_write(into / manifest_name, lambda path: path.write_bytes(small[manifest_name]),
                     expected_sha256=sums[manifest_name])
    except ValueError as err:   # from ``expected_sha256``
        return f"damaged: {err} ({SUMS_NAME})"
    except UNREADABLE as err:
        return f"damaged: it cannot be read from the archive ({type(err).__name__}: {err})"
    return None


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> None:
    with tar.extractfile(member) as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target, 1 << 20)
