"""The audit chain's head hash, exported on a schedule to a place the operator chooses (a file,
ideally on other storage, or an HTTP(S) URL that receives a POST): whoever rewrites the whole
chain, hashes and all, cannot change what was exported, so `audit verify` against those heads
detects it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.compliance import audit as audit_log
from marketing_agent.compliance.audit import HeadAnchor
from marketing_agent.core.logging import get_logger

log = get_logger(__name__)
ACTOR = "system:audit"
ACTION = "audit.head_exported"
POST_TIMEOUT_S = 10.0


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


async def export_head(*, session: AsyncSession, target: str) -> HeadAnchor:
    """Writes the head now (a line appended to the file, or a POST), then audits that it did
    (the target's kind only: a URL may carry a token)."""
    anchor = await audit_log.current_head(session=session)
    if is_url(target):
        async with httpx.AsyncClient(timeout=POST_TIMEOUT_S) as http:
            response = await http.post(target, json=anchor.as_json())
            response.raise_for_status()
    else:
        _append_line(Path(target), json.dumps(anchor.as_json()))
    await audit_log.append(
        session=session,
        actor=ACTOR,
        action=ACTION,
        entity_type="audit",
        entity_id=anchor.seq,
        data={"seq": anchor.seq, "hash": anchor.hash, "to": "url" if is_url(target) else "file"},
    )
    log.info("audit.head_exported", seq=anchor.seq, to="url" if is_url(target) else "file")
    return anchor


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def load_anchors(target: str) -> list[HeadAnchor]:
    """Returns the heads exported so far when the target is a file this process can read (a
    URL's receiver keeps its own; give its heads to `audit verify --anchors`)."""
    if not target or is_url(target):
        return []
    path = Path(target)
    if not path.is_file():
        return []
    return audit_log.parse_anchors(path.read_text(encoding="utf-8").splitlines())
