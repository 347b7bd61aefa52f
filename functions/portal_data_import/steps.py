"""The import workflow's steps (infra/workflows/portal_data_import.asl.json), each one invocation:

    survey    read every file once; store the survey under import-work/<id>/; say which ranges run when
    range     map (and, in the apply pass, write) one range of one file; store its part of the report
    checked   a strict plan's verdict on the check pass: may the apply pass run?
    finish    the report from the survey and the parts, beside the export; the work files removed
    failed    a range failed after its retries: the report says so (what applied stays; importing again
              completes the rest and writes nothing twice)

Only the survey, the parts and the report pass through S3; the workflow's state carries indexes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from functions.portal_data_import.logic import (
    ImportReport,
    Part,
    clean,
    export_files,
    failed,
    finish,
    is_strict,
    rejected_manifest,
    run_range,
)
from functions.portal_data_import.passes import Source, Survey, survey
from functions.shared.core.aws import client
from functions.shared.services.s3_imports import (
    CHUNK_BYTES,
    EXPORTS_PREFIX,
    IMPORT_WORK_PREFIX,
    S3File,
    write_report,
)

_cached: dict[str, Survey] = {}  # the survey of the import this container last worked on


def _work(import_id: str, name: str) -> str:
    return f"{IMPORT_WORK_PREFIX}{import_id}/{name}"


def _ranged(file: S3File) -> Source:
    """A file of the bucket read by byte range (an S3 ranged GET), streamed a megabyte at a time."""
    def read(start: int, end: int | None) -> Iterator[bytes]:
        span = f"bytes={start}-" if end is None else f"bytes={start}-{end - 1}"
        body = client("s3").get_object(Bucket=file.bucket, Key=file.key, Range=span)["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()
    return Source(file.key.rsplit("/", 1)[-1] if file.key.startswith(EXPORTS_PREFIX) else "", read)


def _sources(landed: S3File, found: Survey | None = None) -> list[Source] | ImportReport:
    """The files of what landed: a single file, or the files its manifest names (in dependency order)."""
    if not landed.key.startswith(EXPORTS_PREFIX):
        return [_ranged(landed)]
    if found is not None:
        return [_ranged(landed.beside(name)) for name in found.files]
    files = export_files(landed.read())
    if not isinstance(files, list):
        return rejected_manifest(landed.key, files)
    return [_ranged(landed.beside(name)) for _, name in files]


def _survey(landed: S3File, import_id: str) -> Survey:
    if import_id not in _cached:
        _cached.clear()
        data = client("s3").get_object(Bucket=landed.bucket, Key=_work(import_id, "survey.json"))["Body"].read()
        _cached[import_id] = Survey.from_json(data)
    return _cached[import_id]


def _part_key(import_id: str, mode: str, index: int) -> str:
    return _work(import_id, f"{mode}/{index}.json")


def _parts(landed: S3File, import_id: str, mode: str) -> list[Part]:
    """Every range's part of a pass, by the survey's ranges (each range of a pass has run when it ends)."""
    s3 = client("s3")
    return [Part.model_validate_json(s3.get_object(Bucket=landed.bucket, Key=_part_key(import_id, mode, index))
                                     ["Body"].read()) for index in range(len(_survey(landed, import_id).ranges))]


def _clear(landed: S3File, import_id: str) -> None:
    """Remove the import's hand-overs by their known names (no listing of the bucket is needed or granted)."""
    from botocore.exceptions import ClientError

    found = _cached.get(import_id)
    if found is None:
        try:
            found = _survey(landed, import_id)
        except ClientError:  # never written (without ListBucket, S3 says AccessDenied, not NoSuchKey)
            client("s3").delete_object(Bucket=landed.bucket, Key=_work(import_id, "survey.json"))
            return
    keys = [_work(import_id, "survey.json"), *(_part_key(import_id, mode, index) for mode in ("check", "apply")
                                               for index in range(len(found.ranges)))]
    s3 = client("s3")
    for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys a call; missing ones are fine
        s3.delete_objects(Bucket=landed.bucket, Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]],
                                                        "Quiet": True})
    _cached.pop(import_id, None)


def survey_step(landed: S3File, import_id: str) -> dict[str, Any]:
    sources = _sources(landed)
    if isinstance(sources, ImportReport):  # not a manifest: reported, nothing to run
        write_report(landed, sources)
        return {"reported": True, "strict": False, "phases": []}
    found = survey(sources)
    client("s3").put_object(Bucket=landed.bucket, Key=_work(import_id, "survey.json"), Body=found.to_json(),
                            ContentType="application/json")
    _cached.clear()
    _cached[import_id] = found
    position = {id(piece): n for n, piece in enumerate(found.ranges)}
    return {"reported": False, "strict": is_strict(),
            "phases": [[position[id(piece)] for piece in phase] for phase in found.phases()]}


def range_step(landed: S3File, import_id: str, mode: str, index: int) -> dict[str, Any]:
    found = _survey(landed, import_id)
    piece = found.ranges[index]
    sources = _sources(landed, found)
    assert isinstance(sources, list), "the survey read the manifest already"
    part = run_range(found, sources[piece.file], piece, apply=mode == "apply", source=landed.key)
    client("s3").put_object(Bucket=landed.bucket, Key=_part_key(import_id, mode, index),
                            Body=part.model_dump_json().encode(), ContentType="application/json")
    return {"written": part.written}


def checked_step(landed: S3File, import_id: str) -> dict[str, Any]:
    return {"clean": clean(_survey(landed, import_id), _parts(landed, import_id, "check"))}


def finish_step(landed: S3File, import_id: str, mode: str) -> ImportReport:
    report = finish(_survey(landed, import_id), _parts(landed, import_id, mode), landed.key)
    write_report(landed, report)
    _clear(landed, import_id)
    return report


def failed_step(landed: S3File, import_id: str, failure: dict[str, Any]) -> ImportReport:
    report = failed(landed.key, str(failure.get("Error") or "an error"))
    write_report(landed, report)
    _clear(landed, import_id)
    return report


def run(event: dict[str, Any]) -> dict[str, Any]:
    """One step of the workflow, by the event's `step`."""
    landed = S3File(str(event["bucket"]), str(event["key"]))
    import_id, step = str(event["import_id"]), event["step"]
    if step == "survey":
        return survey_step(landed, import_id)
    if step == "range":
        return range_step(landed, import_id, str(event["mode"]), int(event["range"]))
    if step == "checked":
        return checked_step(landed, import_id)
    if step == "finish":
        return {"status": finish_step(landed, import_id, str(event["mode"])).status}
    if step == "failed":
        return {"status": failed_step(landed, import_id, dict(event.get("failure") or {})).status}
    raise ValueError(f"unknown step {step!r}")
