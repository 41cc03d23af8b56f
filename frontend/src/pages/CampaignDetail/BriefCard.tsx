/** The brief the strategist planned the campaign from, field by field, as the marketer gave it. */
import { Card, Descriptions, Typography } from "antd";

import type { Campaign } from "../../api/types";

type Brief = NonNullable<Campaign["brief"]>;

function translationsOf(brief: Brief): string {
  const entries = Object.entries(brief.translations ?? {});
  if (entries.length === 0) return "None given";
  return entries
    .map(([language, words]) => `${language}: ${[words.product, words.offer, words.call_to_action].filter(Boolean).join(" · ")}`)
    .join("; ");
}

export function BriefCard({ brief }: { brief: Brief }) {
  const languages = (brief.languages ?? []).length > 0 ? (brief.languages ?? []).join(", ") : `${brief.language ?? "en"} and the audience's`;
  return (
    <Card title="Brief" role="region" aria-label="Brief">
      <Descriptions
        column={{ xs: 1, md: 2 }}
        size="small"
        items={[
          { key: "product", label: "Product", children: brief.product ?? "—" },
          { key: "offer", label: "Offer", children: brief.offer ?? "—" },
          { key: "deadline", label: "Deadline", children: brief.deadline ?? "None" },
          { key: "cta", label: "Call to action", children: brief.call_to_action ?? "Default of each language" },
          { key: "tone", label: "Tone", children: brief.tone ?? "friendly" },
          { key: "languages", label: "Languages", children: languages },
          { key: "variants", label: "Variants asked for", children: brief.variant_count ?? 2 },
          { key: "translations", label: "Translations", children: translationsOf(brief) },
          ...(brief.audience_description
            ? [{ key: "audience", label: "Audience", span: "filled" as const, children: brief.audience_description }]
            : []),
          {
            key: "goal",
            label: "In the marketer's words",
            span: "filled" as const,
            children: brief.goal ? <Typography.Text style={{ whiteSpace: "pre-wrap" }}>{brief.goal}</Typography.Text> : "—",
          },
        ]}
      />
    </Card>
  );
}
