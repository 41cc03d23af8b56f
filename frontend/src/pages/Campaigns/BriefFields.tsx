/**
 * The strategist's brief, field by field: product, offer, deadline, the link's lead, tone and languages,
 * and for each further language the marketer's own words for the product, offer and lead (the offline
 * strategist translates common offers like "20% off" but never free wording or a product's name).
 */
import { Card, Flex, Form, Input, Select, Typography } from "antd";

import type { CampaignCreate } from "../../api/types";

type BriefRequest = NonNullable<CampaignCreate["brief"]>;
type Tone = NonNullable<BriefRequest["tone"]>;

export interface BriefWordsValues {
  product?: string;
  offer?: string;
  call_to_action?: string;
}

export interface BriefValues {
  product?: string;
  offer?: string;
  deadline?: string;
  call_to_action?: string;
  tone: Tone;
  language: string;
  languages: string[];
  translations?: Record<string, BriefWordsValues | undefined>;
}

export const BRIEF_DEFAULTS: BriefValues = { tone: "friendly", language: "en", languages: [] };

/** The languages the offline templates write; any other BCP 47 tag may be typed too. */
export const LANGUAGE_NAMES: Record<string, string> = {
  en: "English",
  ru: "Русский",
  de: "Deutsch",
  fr: "Français",
  es: "Español",
  pt: "Português",
};
const LANGUAGE_OPTIONS = Object.entries(LANGUAGE_NAMES).map(([value, label]) => ({ value, label: `${label} (${value})` }));
const TONES: Tone[] = ["friendly", "playful", "formal", "professional", "enthusiastic"];

const nameOf = (tag: string) => LANGUAGE_NAMES[tag.toLowerCase().split("-")[0] ?? ""] ?? tag;
const primary = (tag: string) => tag.trim().toLowerCase().replace("_", "-").split("-")[0] ?? "";
const clean = (value?: string) => (value?.trim() ? value.trim() : null);

/** Whether the brief says what the campaign is about (else the free-text goal must). */
export function briefNamesSomething(brief?: Partial<BriefValues>): boolean {
  return Boolean(clean(brief?.product) || clean(brief?.offer));
}

/** Returns the request's brief, or undefined when the form's brief is untouched (the goal alone speaks). */
export function briefRequest(brief?: BriefValues): BriefRequest | undefined {
  if (!brief) return undefined;
  const languages = brief.languages ?? [];
  const translations: NonNullable<BriefRequest["translations"]> = {};
  for (const tag of languages) {
    if (primary(tag) === primary(brief.language)) continue;
    const words = brief.translations?.[tag];
    const given = {
      product: clean(words?.product),
      offer: clean(words?.offer),
      call_to_action: clean(words?.call_to_action),
    };
    if (given.product || given.offer || given.call_to_action) translations[tag] = given;
  }
  const body: BriefRequest = {
    product: clean(brief.product),
    offer: clean(brief.offer),
    deadline: brief.deadline || null,
    call_to_action: clean(brief.call_to_action),
    tone: brief.tone,
    language: brief.language,
    languages,
    translations,
  };
  const untouched =
    !body.product && !body.offer && !body.deadline && !body.call_to_action && body.tone === "friendly" && body.language === "en" && languages.length === 0;
  return untouched ? undefined : body;
}

function WordsIn({ tag }: { tag: string }) {
  const name = nameOf(tag);
  return (
    <Card size="small" title={`Words in ${name}`} role="group" aria-label={`Words in ${name}`} style={{ marginBottom: 12 }}>
      <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>
        Leave the product empty to keep its name as typed (right for a brand). Common offers such as “20% off” or “free shipping”
        are written in {name} for you; other wording needs its {name} text here, or the message says only “special offer”.
      </Typography.Paragraph>
      <Form.Item label={`Product in ${name}`} name={["brief", "translations", tag, "product"]}>
        <Input maxLength={200} lang={tag} />
      </Form.Item>
      <Form.Item label={`Offer in ${name}`} name={["brief", "translations", tag, "offer"]}>
        <Input maxLength={200} lang={tag} />
      </Form.Item>
      <Form.Item label={`Call to action in ${name}`} name={["brief", "translations", tag, "call_to_action"]} style={{ marginBottom: 0 }}>
        <Input maxLength={80} lang={tag} />
      </Form.Item>
    </Card>
  );
}

export function BriefFields() {
  const form = Form.useFormInstance();
  const language: string = Form.useWatch(["brief", "language"], form) ?? "en";
  const languages: string[] = Form.useWatch(["brief", "languages"], form) ?? [];
  const others = languages.filter((tag) => primary(tag) !== primary(language));
  return (
    <>
      <Flex gap={12} wrap>
        <Form.Item label="Product" name={["brief", "product"]} style={{ flex: "1 1 220px" }} extra="What the message is about.">
          <Input maxLength={200} placeholder="Winter boots" />
        </Form.Item>
        <Form.Item label="Offer" name={["brief", "offer"]} style={{ flex: "1 1 160px" }} extra="Quoted as you type it.">
          <Input maxLength={200} placeholder="20% off" />
        </Form.Item>
      </Flex>
      <Flex gap={12} wrap>
        <Form.Item label="Offer ends" name={["brief", "deadline"]} style={{ flex: "1 1 160px" }}>
          <Input type="date" />
        </Form.Item>
        <Form.Item label="Call to action" name={["brief", "call_to_action"]} style={{ flex: "1 1 220px" }} extra="The link's lead, e.g. Shop the boots.">
          <Input maxLength={80} placeholder="Shop the boots" />
        </Form.Item>
        <Form.Item label="Tone" name={["brief", "tone"]} style={{ flex: "0 1 160px" }}>
          <Select options={TONES.map((t) => ({ value: t, label: t[0]!.toUpperCase() + t.slice(1) }))} />
        </Form.Item>
      </Flex>
      <Flex gap={12} wrap>
        <Form.Item label="Written in" name={["brief", "language"]} style={{ flex: "0 1 180px" }} extra="The language of your product, offer and call to action.">
          <Select options={LANGUAGE_OPTIONS} showSearch={{ optionFilterProp: "label" }} />
        </Form.Item>
        <Form.Item
          label="Write for"
          name={["brief", "languages"]}
          style={{ flex: "1 1 240px" }}
          extra="Every language to write in, the main one first. Empty: the one it is written in plus the audience's own."
        >
          <Select mode="tags" allowClear placeholder="The audience's languages" options={LANGUAGE_OPTIONS} tokenSeparators={[","]} />
        </Form.Item>
      </Flex>
      {others.map((tag) => (
        <WordsIn key={tag} tag={tag} />
      ))}
    </>
  );
}
