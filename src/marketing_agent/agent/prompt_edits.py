"""The strategist's prompts as people edited them in the UI: each save a numbered version of a
shipped prompt (who, when, why), a reset a version that goes back to the file. The newest
version of each prompt is what the strategist runs (`current_prompts`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketing_agent.agent.models import PromptEdit
from marketing_agent.agent.prompts import (
    PROMPT_PURPOSES,
    SHIPPED,
    PromptFile,
    PromptSet,
    fill_in,
    placeholders,
    prompt_values,
    sample_brief,
    template_problem,
)
from marketing_agent.agent.schemas import CampaignBrief, PromptEditRead, PromptPreview, PromptRead
from marketing_agent.core import clock
from marketing_agent.core.errors import NotFound, ValidationFailed, field_error


def shipped(name: str) -> PromptFile:
    """Returns the shipped prompt `name`; NotFound for a name the strategist has no prompt of."""
    prompt = SHIPPED.by_name().get(name)
    if prompt is None:
        raise NotFound(
            f"There is no prompt '{name}'; the prompts are: {', '.join(PROMPT_PURPOSES)}"
        )
    return prompt


async def current_prompts(*, session: AsyncSession) -> PromptSet:
    """Returns the prompts to run: each one's newest saved edit, or the shipped file."""
    newest = (
        select(PromptEdit.name, func.max(PromptEdit.edit).label("edit"))
        .group_by(PromptEdit.name)
        .subquery()
    )
    rows = (
        await session.scalars(
            select(PromptEdit).join(
                newest, (PromptEdit.name == newest.c.name) & (PromptEdit.edit == newest.c.edit)
            )
        )
    ).all()
    prompts = SHIPPED
    for row in rows:
        base = SHIPPED.by_name().get(row.name)
        if base is not None and row.text is not None and row.shipped_version == base.version:
            # An edit of an older shipped file stops running when the file's version moves on.
            prompts = prompts.replaced(base.edited(row.text, row.edit))
    return prompts


async def read_prompt(*, session: AsyncSession, name: str) -> PromptRead:
    base = shipped(name)
    running = (await current_prompts(session=session)).by_name()[name]
    rows = (
        await session.scalars(
            select(PromptEdit).where(PromptEdit.name == name).order_by(PromptEdit.edit.desc())
        )
    ).all()
    return PromptRead(
        name=name,
        purpose=PROMPT_PURPOSES[name],
        placeholders=sorted(placeholders(base.template)),
        shipped_version=base.version,
        shipped_text=base.text,
        text=running.text,
        edited=running.edit != 0,
        label=running.label,
        history=[_edit_read(row) for row in rows],
    )


async def preview(
    *, session: AsyncSession, name: str, text: str | None, brief: CampaignBrief | None
) -> PromptPreview:
    """Returns prompt `name` filled in for `brief` (a sample one when None): the draft `text`
    when given (checked as a save would be), else the version that runs now."""
    shipped(name)
    prompt = (await current_prompts(session=session)).by_name()[name]
    label = prompt.label
    if text is not None:
        text = text.rstrip()
        problem = template_problem(name, text)
        if problem is not None:
            raise ValidationFailed([field_error(("body", "text"), problem)], detail=problem)
        prompt, label = prompt.edited(text, prompt.edit), f"{name} (unsaved)"
    brief = brief or sample_brief()
    values = prompt_values(name, brief)
    used = placeholders(prompt.template)
    return PromptPreview(
        name=name,
        label=label,
        brief=brief,
        values={k: v for k, v in values.items() if k in used},
        rendered=fill_in(prompt, brief),
    )


async def list_prompts(*, session: AsyncSession) -> list[PromptRead]:
    return [await read_prompt(session=session, name=name) for name in PROMPT_PURPOSES]


async def save_edit(
    *, session: AsyncSession, name: str, text: str | None, note: str, actor: str
) -> PromptEdit:
    """Appends a version of `name` (`text` None: back to the shipped file), in the caller's
    transaction; a text the strategist could not fill in is a ValidationFailed."""
    base = shipped(name)
    if text is not None:
        text = text.rstrip()
        problem = template_problem(name, text)
        if problem is not None:
            raise ValidationFailed([field_error(("body", "text"), problem)], detail=problem)
    last = await session.scalar(select(func.max(PromptEdit.edit)).where(PromptEdit.name == name))
    row = PromptEdit(
        name=name,
        edit=(last or 0) + 1,
        shipped_version=base.version,
        text=text,
        note=note.strip(),
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


def _edit_read(row: PromptEdit) -> PromptEditRead:
    label = f"{row.name}@{row.shipped_version}" + (f".edit{row.edit}" if row.text else "")
    return PromptEditRead(
        edit=row.edit,
        label=label,
        shipped_version=row.shipped_version,
        reset=row.text is None,
        text=row.text,
        note=row.note,
        created_by=row.created_by,
        created_at=row.created_at,
    )
