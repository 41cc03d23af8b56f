"""Field-level masking: a role without `personal_data:read` sees a contact's username and first
name masked, and every phone number, e-mail and other personal datum the safety module's PII
scanner finds in the custom attributes replaced by its masked form. Unmasking one contact is an
act of its own, for a stated reason, and audited."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from marketing_agent.core.auth import Permission, Principal

MASK = "•"
ContactView = TypeVar("ContactView", bound=BaseModel)


def sees_personal_data(principal: Principal) -> bool:
    """Returns whether the caller's role sees personal data in full."""
    return principal.can(Permission.PERSONAL_DATA)


def mask_text(value: str | None, *, keep_last: bool = True) -> str | None:
    """Returns the first character and (for longer values) the last, the rest masked."""
    if not value:
        return value
    if len(value) <= 2:
        return value[0] + MASK * 3
    tail = value[-1] if keep_last and len(value) > 3 else ""
    return value[0] + MASK * 3 + tail


def mask_free_text(value: str) -> str:
    """Returns `value` with each personal datum the PII scanner finds in its masked form."""
    from marketing_agent.safety import service as safety  # safety's service imports ours

    findings = safety.find_pii(value)
    if not findings:
        return value
    parts, position = [], 0
    for finding in findings:
        start, end = finding.span
        parts += [value[position:start], finding.masked]
        position = end
    return "".join([*parts, value[position:]])


def mask_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Returns the attributes with the personal data in their text values masked."""
    return {k: _mask_value(v) for k, v in attributes.items()}


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_free_text(value)
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    if isinstance(value, dict):
        return mask_attributes(value)
    return value


def masked_contact_fields(
    *, username: str | None, first_name: str | None, attributes: dict[str, Any]
) -> dict[str, Any]:
    """Returns the masked values of a contact's identifying fields (a model_copy update)."""
    return {
        "username": mask_text(username),
        "first_name": mask_text(first_name, keep_last=False),
        "attributes": mask_attributes(attributes or {}),
        "masked": True,
    }


def for_role(contact: ContactView, principal: Principal) -> ContactView:
    """Returns the API view of a contact (anything with username, first_name and attributes)
    as the caller's role may see it."""
    if sees_personal_data(principal):
        return contact
    return contact.model_copy(
        update=masked_contact_fields(
            username=getattr(contact, "username", None),
            first_name=getattr(contact, "first_name", None),
            attributes=getattr(contact, "attributes", None) or {},
        )
    )
