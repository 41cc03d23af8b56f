"""Field-level masking: a role without `personal_data:read` sees a contact's Telegram id,
username and first name masked (in lists, on its page, in its consent proofs and in exports),
and every phone number, e-mail and other personal datum the safety module's PII scanner finds
in the custom attributes replaced by its masked form. Unmasking one contact is an act of its
own, for a stated reason, and audited."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from marketing_agent.core.auth import Permission, Principal

MASK = "•"
ContactView = TypeVar("ContactView", bound=BaseModel)
ConsentView = TypeVar("ConsentView", bound=BaseModel)


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


def mask_telegram_id(value: int | str | None) -> str | None:
    """Returns a Telegram id with all but its first and last digit masked ("7•••1")."""
    if value is None or value == "":
        return None
    return mask_text(str(value))


# Keys of a consent proof that name the person (the consent bot's, an import's evidence).
PROOF_IDENTIFIERS = frozenset({"telegram_user_id", "telegram_id", "chat_id", "user_id"})
PROOF_NAMES = frozenset({"username", "first_name", "last_name", "name"})


def mask_proof(proof: dict[str, Any]) -> dict[str, Any]:
    """Returns a consent proof with the person's Telegram id and names masked and the personal
    data in its texts (the opt-in text, a payload) masked by the PII scanner."""
    masked: dict[str, Any] = {}
    for key, value in proof.items():
        if key in PROOF_IDENTIFIERS and isinstance(value, int | str):
            masked[key] = mask_telegram_id(value)
        elif key in PROOF_NAMES and isinstance(value, str):
            masked[key] = mask_text(value)
        else:
            masked[key] = _mask_value(value)
    return masked


def consent_for_role(consent: ConsentView, principal: Principal) -> ConsentView:
    """Returns a consent record's API view (anything with a `proof`) as the caller may see it."""
    if sees_personal_data(principal):
        return consent
    return consent.model_copy(update={"proof": mask_proof(getattr(consent, "proof", {}) or {})})


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
    *,
    username: str | None,
    first_name: str | None,
    attributes: dict[str, Any],
    telegram_id: int | str | None = None,
) -> dict[str, Any]:
    """Returns the masked values of a contact's identifying fields (a model_copy update)."""
    return {
        "telegram_id": mask_telegram_id(telegram_id),
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
    update = masked_contact_fields(
        username=getattr(contact, "username", None),
        first_name=getattr(contact, "first_name", None),
        attributes=getattr(contact, "attributes", None) or {},
        telegram_id=getattr(contact, "telegram_id", None),
    )
    consents = getattr(contact, "consents", None)
    if consents is not None:  # a contact's page: its consent history with the proofs
        update["consents"] = [consent_for_role(c, principal) for c in consents]
    return contact.model_copy(update=update)
