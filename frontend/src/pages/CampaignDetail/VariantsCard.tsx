import { Card, Divider, Flex, Tag, Typography } from "antd";
import { Fragment } from "react";

import type { Variant } from "../../api/types";
import { formatPercent } from "../../components/format";

export function VariantsCard({ variants, aiGenerated = false }: { variants: Variant[]; aiGenerated?: boolean }) {
  const totalWeight = variants.reduce((sum, v) => sum + v.weight, 0);
  return (
    <Card title="Variants" style={{ height: "100%" }}>
      {variants.length === 0 && <Typography.Text type="secondary">No variants</Typography.Text>}
      {variants.map((variant, index) => (
        <Fragment key={variant.key}>
          {index > 0 && <Divider style={{ marginBlock: 12 }} />}
          <Flex gap={12} align="start" role="group" aria-label={`Variant ${variant.key}`}>
            <Tag color={variant.key === "A" ? "blue" : "purple"} style={{ marginTop: 2 }}>
              {variant.key}
            </Tag>
            <div style={{ flex: 1 }}>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                Variant {variant.key}
                {variant.key === "A" ? " · control" : ""}
                {aiGenerated ? " · AI-generated" : ""}
                {totalWeight > 0 ? ` · ${formatPercent(variant.weight / totalWeight, 0)} of traffic` : ""}
              </Typography.Text>
              {variant.image_url && (
                <Typography.Paragraph style={{ marginBottom: 4 }}>
                  <Tag>image</Tag>
                  <a href={variant.image_url} target="_blank" rel="noreferrer noopener">
                    {variant.image_url}
                  </a>
                </Typography.Paragraph>
              )}
              <Typography.Paragraph style={{ whiteSpace: "pre-wrap", marginBottom: 0 }}>{variant.text}</Typography.Paragraph>
              {(variant.buttons ?? []).length > 0 && (
                <Flex gap={6} wrap style={{ marginTop: 6 }} aria-label={`Buttons of variant ${variant.key}`} role="list">
                  {(variant.buttons ?? []).map((b) => (
                    <Tag key={`${b.text}${b.url}`} color="blue" role="listitem" title={b.url}>
                      {b.text}
                    </Tag>
                  ))}
                </Flex>
              )}
              {Object.keys(variant.translations ?? {}).length > 0 && (
                <>
                  <Typography.Text type="secondary" style={{ fontSize: 12, display: "block" }}>
                    Also in: {Object.keys(variant.translations ?? {}).sort().join(", ")}
                  </Typography.Text>
                  {Object.entries(variant.translations ?? {})
                    .sort(([a], [b]) => a.localeCompare(b))
                    .map(([tag, text]) => (
                      <div key={tag} role="group" aria-label={`Text in ${tag}`} lang={tag} style={{ marginTop: 6 }}>
                        <Tag>{tag}</Tag>
                        <Typography.Paragraph style={{ whiteSpace: "pre-wrap", marginBottom: 0, marginTop: 2 }}>{text}</Typography.Paragraph>
                      </div>
                    ))}
                </>
              )}
              {variant.rationale && (
                <Typography.Text type="secondary" italic style={{ fontSize: 12 }}>
                  Why: {variant.rationale}
                </Typography.Text>
              )}
            </div>
          </Flex>
        </Fragment>
      ))}
    </Card>
  );
}
