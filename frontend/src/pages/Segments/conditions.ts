/** The segment builder's condition rows and their translation to and from the API's rule
 * language (orchestrator SegmentFilter.conditions): the API validates and evaluates them. */
import type { SegmentFilter } from "../../api/types";

export type Condition = NonNullable<SegmentFilter["conditions"]>[number];
export type Kind = Condition["kind"];
type EventCondition = Extract<Condition, { kind: "event" }>;
type RfmCondition = Extract<Condition, { kind: "rfm" }>;
type AttributeCondition = Extract<Condition, { kind: "attribute" }>;
type PropertyCondition = Extract<Condition, { kind: "property" }>;
type ConsentCondition = Extract<Condition, { kind: "consent" }>;
type Scalar = string | number | boolean;

/** One row of the builder as the form holds it: every field a string or number a control edits. */
export interface ConditionRow {
  kind?: Kind;
  did?: "did" | "did_not";
  event?: EventCondition["event"];
  min_count?: number | null;
  within_days?: number | null;
  measure?: RfmCondition["measure"];
  rfm_op?: RfmCondition["op"];
  amount?: number | null;
  key?: string;
  attr_op?: AttributeCondition["op"];
  field?: PropertyCondition["field"];
  prop_op?: PropertyCondition["op"];
  text?: string;
  tag_op?: "has" | "has_not";
  tag?: string;
  state?: ConsentCondition["state"];
}

export const KIND_OPTIONS: { value: Kind; label: string }[] = [
  { value: "event", label: "Did something (event)" },
  { value: "rfm", label: "Purchases (recency, frequency, value)" },
  { value: "attribute", label: "Attribute" },
  { value: "tag", label: "Tag" },
  { value: "property", label: "Contact field" },
  { value: "consent", label: "Consent" },
];

export const EVENT_OPTIONS: { value: EventCondition["event"]; label: string }[] = [
  { value: "clicked", label: "clicked a tracked link" },
  { value: "converted", label: "converted (a purchase)" },
  { value: "replied", label: "replied" },
  { value: "delivered", label: "had a message delivered" },
  { value: "sent", label: "was sent a message" },
  { value: "unsubscribed", label: "unsubscribed" },
  { value: "failed", label: "had a message fail" },
  { value: "read", label: "read a message (user-account senders only: bots cannot see reads)" },
];

export const MEASURE_OPTIONS: { value: RfmCondition["measure"]; label: string }[] = [
  { value: "recency_days", label: "Days since the last purchase" },
  { value: "frequency", label: "Number of purchases" },
  { value: "monetary_usd", label: "Revenue (USD)" },
];

export const ORDER_OPTIONS: { value: RfmCondition["op"]; label: string }[] = [
  { value: "gt", label: "more than" },
  { value: "gte", label: "at least" },
  { value: "lt", label: "less than" },
  { value: "lte", label: "at most" },
];

export const ATTRIBUTE_OPS: { value: AttributeCondition["op"]; label: string }[] = [
  { value: "eq", label: "is" },
  { value: "ne", label: "is not" },
  { value: "gt", label: "is more than" },
  { value: "gte", label: "is at least" },
  { value: "lt", label: "is less than" },
  { value: "lte", label: "is at most" },
  { value: "in", label: "is one of" },
  { value: "is_set", label: "is set" },
  { value: "is_not_set", label: "is not set" },
];

export const FIELD_OPTIONS: { value: PropertyCondition["field"]; label: string }[] = [
  { value: "language", label: "language" },
  { value: "timezone", label: "time zone" },
  { value: "username", label: "username" },
  { value: "first_name", label: "first name" },
];

export const PROPERTY_OPS: { value: PropertyCondition["op"]; label: string }[] = [
  { value: "eq", label: "is" },
  { value: "ne", label: "is not" },
  { value: "in", label: "is one of" },
  { value: "not_in", label: "is none of" },
  { value: "is_set", label: "is set" },
  { value: "is_not_set", label: "is not set" },
];

export const CONSENT_STATES: { value: ConsentCondition["state"]; label: string }[] = [
  { value: "granted", label: "consented" },
  { value: "withdrawn", label: "withdrew consent" },
  { value: "none", label: "never asked (no record)" },
];

const NO_VALUE = new Set(["is_set", "is_not_set"]);
const ORDERED = new Set(["gt", "gte", "lt", "lte"]);
const LISTS = new Set(["in", "not_in"]);

export function needsValue(op: string | undefined): boolean {
  return op !== undefined && !NO_VALUE.has(op);
}

export function isOrdered(op: string | undefined): boolean {
  return op !== undefined && ORDERED.has(op);
}

/** "250" → 250, "true" → true, anything else stays text. */
function scalar(text: string): Scalar {
  const trimmed = text.trim();
  if (trimmed === "true" || trimmed === "false") return trimmed === "true";
  if (/^[-+]?(\d+\.?\d*|\.\d+)$/.test(trimmed)) return Number(trimmed);
  return trimmed;
}

function items(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** The API condition of a row, or null while it is incomplete (then it is not counted yet). */
export function toCondition(row: ConditionRow | undefined): Condition | null {
  if (!row?.kind) return null;
  switch (row.kind) {
    case "event":
      if (!row.event) return null;
      return {
        kind: "event",
        event: row.event,
        did: row.did !== "did_not",
        min_count: row.min_count ?? 1,
        within_days: row.within_days ?? null,
      };
    case "rfm":
      if (!row.measure || !row.rfm_op || row.amount === undefined || row.amount === null) return null;
      return {
        kind: "rfm",
        measure: row.measure,
        op: row.rfm_op,
        value: row.amount,
        within_days: row.measure === "recency_days" ? null : (row.within_days ?? null),
      };
    case "attribute": {
      if (!row.key?.trim() || !row.attr_op) return null;
      const base = { kind: "attribute" as const, key: row.key.trim(), op: row.attr_op };
      if (!needsValue(row.attr_op)) return { ...base, value: null };
      if (!row.text?.trim()) return null;
      if (row.attr_op === "in") return { ...base, value: items(row.text).map(scalar) };
      if (isOrdered(row.attr_op)) {
        const number = Number(row.text);
        return Number.isFinite(number) ? { ...base, value: number } : { ...base, value: row.text };
      }
      return { ...base, value: scalar(row.text) };
    }
    case "property": {
      if (!row.field || !row.prop_op) return null;
      const base = { kind: "property" as const, field: row.field, op: row.prop_op };
      if (!needsValue(row.prop_op)) return { ...base, value: null };
      if (!row.text?.trim()) return null;
      return { ...base, value: LISTS.has(row.prop_op) ? items(row.text) : row.text.trim() };
    }
    case "tag":
      if (!row.tag?.trim()) return null;
      return { kind: "tag", op: row.tag_op ?? "has", tag: row.tag.trim() };
    case "consent":
      return row.state ? { kind: "consent", state: row.state } : null;
  }
}

function textOf(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(", ");
  return value === null || value === undefined ? "" : String(value);
}

/** The form row of a saved condition. */
export function toRow(condition: Condition): ConditionRow {
  switch (condition.kind) {
    case "event":
      return {
        kind: "event",
        did: condition.did === false ? "did_not" : "did",
        event: condition.event,
        min_count: condition.min_count ?? 1,
        within_days: condition.within_days ?? null,
      };
    case "rfm":
      return {
        kind: "rfm",
        measure: condition.measure,
        rfm_op: condition.op,
        amount: condition.value,
        within_days: condition.within_days ?? null,
      };
    case "attribute":
      return { kind: "attribute", key: condition.key, attr_op: condition.op, text: textOf(condition.value) };
    case "property":
      return { kind: "property", field: condition.field, prop_op: condition.op, text: textOf(condition.value) };
    case "tag":
      return { kind: "tag", tag_op: condition.op ?? "has", tag: condition.tag };
    case "consent":
      return { kind: "consent", state: condition.state };
  }
}

function labelOf<T extends string>(options: { value: T; label: string }[], value: T | undefined): string {
  return options.find((o) => o.value === value)?.label ?? String(value);
}

/** "clicked a tracked link in the last 30 days": a condition in words, for the segment list. */
export function describeCondition(condition: Condition): string {
  switch (condition.kind) {
    case "event": {
      const times = (condition.min_count ?? 1) > 1 ? ` at least ${condition.min_count} times` : "";
      const when = condition.within_days ? ` in the last ${condition.within_days} days` : " ever";
      const verb = labelOf(EVENT_OPTIONS, condition.event).split(" (")[0];
      return `${condition.did === false ? "never " : ""}${verb}${times}${when}`;
    }
    case "rfm": {
      const when = condition.within_days ? ` in the last ${condition.within_days} days` : "";
      const measure = labelOf(MEASURE_OPTIONS, condition.measure).toLowerCase();
      return `${measure} ${labelOf(ORDER_OPTIONS, condition.op)} ${condition.value}${when}`;
    }
    case "attribute":
      return `${condition.key} ${labelOf(ATTRIBUTE_OPS, condition.op)}${needsValue(condition.op) ? ` ${textOf(condition.value)}` : ""}`;
    case "property":
      return `${labelOf(FIELD_OPTIONS, condition.field)} ${labelOf(PROPERTY_OPS, condition.op)}${needsValue(condition.op) ? ` ${textOf(condition.value)}` : ""}`;
    case "tag":
      return `${condition.op === "has_not" ? "has no tag" : "has tag"} ${condition.tag}`;
    case "consent":
      return labelOf(CONSENT_STATES, condition.state);
  }
}
