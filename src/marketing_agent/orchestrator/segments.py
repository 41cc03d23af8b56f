"""The segment rule language compiled to SQL: one WHERE clause over the contacts table that runs
the same on SQLite and PostgreSQL, so no contact is loaded into Python to decide who is in.

Consent and behaviour (events, recency/frequency/monetary value of conversions) come from the
compliance and analytics services as sub-selects of contact ids; this file only combines them.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB

from marketing_agent.analytics import service as analytics
from marketing_agent.compliance import service as compliance
from marketing_agent.core.errors import field_error
from marketing_agent.orchestrator.models import Contact, ContactTag
from marketing_agent.orchestrator.schemas import (
    AttributeCondition,
    ConsentCondition,
    EventCondition,
    PropertyCondition,
    RfmCondition,
    SegmentCondition,
    SegmentFilter,
    TagCondition,
)

Loc = tuple[str | int, ...]
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_ORDERED = ("gt", "gte", "lt", "lte")


# Validation: what the schema cannot say alone, each error at its field --------------------------


def check_filter(segment_filter: SegmentFilter, loc: Loc) -> list[dict[str, Any]]:
    """Returns a field error (located under `loc`) for each rule that cannot be evaluated."""
    errors = []
    for key, value in segment_filter.attributes.items():
        if not 1 <= len(key) <= 64 or any(c in key for c in '"\\$'):
            errors.append(
                field_error((*loc, "attributes", key), 'a key of 1-64 characters, no " \\ $')
            )
        elif isinstance(value, (int, float)) and not _storable_number(value):
            errors.append(field_error((*loc, "attributes", key), "a number out of range"))
        elif isinstance(value, (dict, list)):
            errors.append(
                field_error(
                    (*loc, "attributes", key), "compare with a text, a number or true/false"
                )
            )
    for index, condition in enumerate(segment_filter.conditions):
        errors.extend(_check_condition(condition, (*loc, "conditions", index)))
    return errors


def _storable_number(value: float) -> bool:
    """Whether a number compares exactly in SQL on both databases (finite, within 2^53)."""
    return isinstance(value, bool) or (math.isfinite(value) and abs(value) <= 2**53)


def _check_condition(condition: SegmentCondition, loc: Loc) -> list[dict[str, Any]]:
    value_loc = (*loc, "value")
    if isinstance(condition, (PropertyCondition, AttributeCondition)):
        value, op = condition.value, condition.op
        if op in ("is_set", "is_not_set"):
            return [] if value is None else [field_error(value_loc, f"'{op}' takes no value")]
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                return [field_error(value_loc, f"'{op}' needs a list of one or more values")]
            return []
        if value is None or isinstance(value, list):
            return [field_error(value_loc, f"'{op}' needs one value")]
        if op in _ORDERED and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return [field_error(value_loc, f"'{op}' compares numbers: give a number")]
        return []
    if isinstance(condition, RfmCondition):
        if condition.measure == "recency_days" and condition.within_days is not None:
            return [
                field_error(
                    (*loc, "within_days"),
                    "recency counts days since the last conversion ever: no window",
                )
            ]
    return []


# Compilation --------------------------------------------------------------------------------


def contact_ids_query(
    segment_filter: SegmentFilter | None, *, dialect: str, now: datetime
) -> Select[int]:
    """Returns SQL selecting the id (as `contact_id`) of every contact the filter matches now."""
    query = select(Contact.id.label("contact_id"))
    if segment_filter is None:
        return query
    return query.where(segment_clause(segment_filter, dialect=dialect, now=now))


def segment_clause(
    segment_filter: SegmentFilter, *, dialect: str, now: datetime
) -> ColumnElement[bool]:
    """Returns the WHERE clause over contacts: every set field, and the conditions by `match`."""
    clauses: list[ColumnElement[bool]] = []
    if segment_filter.consent != "any":
        clauses.append(_consent(segment_filter.consent, dialect))
    if segment_filter.timezones:
        clauses.append(Contact.timezone.in_(segment_filter.timezones))
    if segment_filter.languages:
        clauses.append(Contact.language.in_(segment_filter.languages))
    if segment_filter.tags_any:
        clauses.append(_has_tag(*segment_filter.tags_any))
    clauses.extend(_has_tag(tag) for tag in segment_filter.tags_all)
    for key, value in segment_filter.attributes.items():
        clauses.append(
            _attribute_is_set(key, dialect, negate=True)
            if value is None
            else _attribute_equals(key, value, dialect)
        )
    if segment_filter.match == "all":
        clauses.extend(_condition(c, dialect=dialect, now=now) for c in segment_filter.conditions)
    elif segment_filter.conditions:
        clauses.append(_any_of(segment_filter.conditions, dialect=dialect, now=now))
    return and_(true(), *clauses)


def _any_of(
    conditions: list[SegmentCondition], *, dialect: str, now: datetime
) -> ColumnElement[bool]:
    """Contacts matching any condition. Those that name a set of contact ids (a tag, consent,
    events done, RFM) are one `id IN (... UNION ALL ...)`: an OR of several `IN (select)` made
    both databases test every contact against each set in turn."""
    sets: list[Select[Any]] = []
    others: list[ColumnElement[bool]] = []
    for condition in conditions:
        ids = _ids_of(condition, now=now)
        if ids is None:
            others.append(_condition(condition, dialect=dialect, now=now))
        else:
            sets.append(ids)
    if len(sets) > 1:
        others.append(Contact.id.in_(union_all(*sets)))
    elif sets:
        others.append(Contact.id.in_(sets[0]))
    return or_(*others)


def _ids_of(condition: SegmentCondition, *, now: datetime) -> Select[Any] | None:
    """The contact ids the condition keeps, when it is "the contact is among these"; else None
    (a property or attribute of the row, or a negation)."""
    if isinstance(condition, TagCondition):
        return tagged(condition.tag) if condition.op == "has" else None
    if isinstance(condition, ConsentCondition):
        if condition.state == "none":
            return None
        return compliance.consent_contact_ids_query(state=condition.state)
    if isinstance(condition, EventCondition):
        return _events_done(condition, now) if condition.did else None
    if isinstance(condition, RfmCondition):
        matched, among = _rfm_ids(condition, now)
        return matched if among else None
    return None


def _condition(condition: SegmentCondition, *, dialect: str, now: datetime) -> ColumnElement[bool]:
    if isinstance(condition, PropertyCondition):
        return _property(condition)
    if isinstance(condition, TagCondition):
        has = _has_tag(condition.tag)
        return has if condition.op == "has" else not_(has)
    if isinstance(condition, AttributeCondition):
        return _attribute(condition, dialect)
    if isinstance(condition, ConsentCondition):
        return _consent(condition.state, dialect)
    if isinstance(condition, EventCondition):
        ids = _events_done(condition, now)
        return Contact.id.in_(ids) if condition.did else not_among(ids, dialect)
    matched, among = _rfm_ids(condition, now)
    return Contact.id.in_(matched) if among else not_among(matched, dialect)


def not_among(ids: Select[Any], dialect: str) -> ColumnElement[bool]:
    """Contacts whose id `ids` does not select. PostgreSQL: NOT EXISTS, an anti-join; its
    NOT IN (select) re-reads the ids per contact once they outgrow work_mem (minutes at 1M
    contacts). SQLite keeps NOT IN: it builds one ephemeral index of the ids per count."""
    if dialect != "postgresql":
        return Contact.id.not_in(ids)
    found = ids.subquery()
    return ~exists().where(found.c[0] == Contact.id)


def _property(condition: PropertyCondition) -> ColumnElement[bool]:
    column: ColumnElement[str | None] = getattr(Contact, condition.field)
    value, op = condition.value, condition.op
    if op == "is_set":
        return and_(column.is_not(None), column != "")
    if op == "is_not_set":
        return or_(column.is_(None), column == "")
    if op == "in":
        return column.in_(_as_list(value))
    if op == "not_in":
        return or_(column.is_(None), column.not_in(_as_list(value)))
    if op == "eq":
        return column == value
    return or_(column.is_(None), column != value)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def tagged(*tags: str) -> Select[Any]:
    """The ids of the contacts with any of these tags (the tag table, not the contact's JSON)."""
    return select(ContactTag.contact_id).where(ContactTag.tag.in_(tags))


def _has_tag(*tags: str) -> ColumnElement[bool]:
    """Whether the contact has any of these tags: a seek of the tag table's (tag, contact)
    index, never a parse of the contact's JSON."""
    return Contact.id.in_(tagged(*tags))


# Attributes: typed so that "plan = pro" never matches a number and "spent > 100" never casts text.


_SQLITE_KINDS = {"text": ("text",), "number": ("integer", "real"), "boolean": ("true", "false")}
_POSTGRES_KINDS = {"text": "string", "number": "number", "boolean": "boolean"}


def _is_kind(key: str, kind: str, dialect: str) -> ColumnElement[bool]:
    """Whether the attribute is JSON text, a number or a boolean (NULL when it is absent)."""
    if dialect == "postgresql":
        typeof = func.jsonb_typeof(type_coerce(Contact.attributes, JSONB)[key])
        return typeof == _POSTGRES_KINDS[kind]
    return func.json_type(Contact.attributes, f'$."{key}"').in_(_SQLITE_KINDS[kind])


_NUMBER_PATTERN = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"


def _number(key: str, dialect: str) -> ColumnElement[Any]:
    """The attribute as a number: a JSON number, or text that is one (a CSV import's "250"),
    else NULL; never a cast of text that is not a number."""
    if dialect == "postgresql":
        element = type_coerce(Contact.attributes, JSONB)[key]
        typeof, text_value = func.jsonb_typeof(element), element.astext
        return case(
            (typeof == "number", cast(text_value, Float)),
            (
                and_(typeof == "string", text_value.regexp_match(_NUMBER_PATTERN)),
                cast(text_value, Float),
            ),
            else_=None,
        )
    path = f'$."{key}"'
    typeof, raw = (
        func.json_type(Contact.attributes, path),
        func.json_extract(Contact.attributes, path),
    )
    trimmed = func.trim(raw)
    return case(
        (typeof.in_(("integer", "real")), raw),
        (
            and_(
                typeof == "text",
                trimmed.op("NOT GLOB")("*[^0-9.eE+-]*"),
                trimmed.op("GLOB")("*[0-9]*"),
            ),
            cast(trimmed, Float),
        ),
        else_=None,
    )


def _json_value(key: str, kind: str, dialect: str) -> ColumnElement[Any]:
    """The attribute as SQL text, number or boolean when it is of that kind, else NULL."""
    if kind == "number":
        return _number(key, dialect)
    element = Contact.attributes[key]
    typed = {
        "text": element.as_string(),
        "boolean": element.as_boolean(),
    }[kind]
    return case((_is_kind(key, kind, dialect), typed), else_=None)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, (int, float)) else "text"


def _attribute_equals(key: str, value: Any, dialect: str) -> ColumnElement[bool]:
    return func.coalesce(_json_value(key, _kind_of(value), dialect) == value, false())


def _attribute_is_set(key: str, dialect: str, *, negate: bool = False) -> ColumnElement[bool]:
    if dialect == "postgresql":
        typeof = func.jsonb_typeof(type_coerce(Contact.attributes, JSONB)[key])
    else:
        typeof = func.json_type(Contact.attributes, f'$."{key}"')
    is_set = func.coalesce(typeof != "null", false())
    return not_(is_set) if negate else is_set


def _attribute(condition: AttributeCondition, dialect: str) -> ColumnElement[bool]:
    key, op, value = condition.key, condition.op, condition.value
    if op in ("is_set", "is_not_set"):
        return _attribute_is_set(key, dialect, negate=op == "is_not_set")
    if op == "in":
        return or_(*(_attribute_equals(key, v, dialect) for v in _as_list(value)))
    if op == "eq":
        return _attribute_equals(key, value, dialect)
    if op == "ne":  # "plan is not pro" includes the contacts with no plan
        return not_(_attribute_equals(key, value, dialect))
    compared = _COMPARE[op](_json_value(key, "number", dialect), value)
    return func.coalesce(compared, false())


# Consent and behaviour: sub-selects of contact ids from their modules ------------------------


def _consent(state: str, dialect: str) -> ColumnElement[bool]:
    if state == "none":
        return not_among(compliance.consent_contact_ids_query(state="recorded"), dialect)
    return Contact.id.in_(compliance.consent_contact_ids_query(state=state))


def _since(now: datetime, within_days: int | None) -> datetime | None:
    return None if within_days is None else now - timedelta(days=within_days)


def _events_done(condition: EventCondition, now: datetime) -> Select[Any]:
    return analytics.contacts_with_events_query(
        event_type=condition.event,
        since=_since(now, condition.within_days),
        campaign_id=condition.campaign_id,
        min_count=condition.min_count,
    )


def _rfm_ids(condition: RfmCondition, now: datetime) -> tuple[Select[Any], bool]:
    """The ids the rule is about and whether it keeps them (True) or everyone else (False:
    a rule people who never converted pass, such as "fewer than 2 conversions")."""
    totals = analytics.conversion_totals_query(since=_since(now, condition.within_days)).subquery()
    op, value = _COMPARE[condition.op], condition.value
    if condition.measure == "recency_days":
        # Fewer days since the last conversion is a later last conversion: the order flips.
        flipped = {"lt": operator.gt, "lte": operator.ge, "gt": operator.lt, "gte": operator.le}
        bound = now - timedelta(days=value)
        return select(totals.c.contact_id).where(
            flipped[condition.op](totals.c.last_at, bound)
        ), True
    if condition.measure == "frequency":
        measure, threshold = totals.c.conversions, value
    else:
        measure, threshold = totals.c.value_usd_micros, round(value * 1_000_000)
    if op(0, threshold):  # people who never converted (0) match too: exclude those who fail
        return select(totals.c.contact_id).where(not_(op(measure, threshold))), False
    return select(totals.c.contact_id).where(op(measure, threshold)), True
