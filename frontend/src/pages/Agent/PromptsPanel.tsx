/** The strategist's prompts: each one's shipped text and version, an editor with a line diff
 * against the shipped text before saving, the saved versions (who, when, why), and a reset. */
import { Alert, Button, Card, Flex, Input, List, Space, Tag, Typography } from "antd";
import { useState } from "react";

import { type AgentPrompt, type PromptPreview, usePreviewPrompt, usePrompts, useResetPrompt, useSavePrompt } from "../../api/prompts";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { lineDiff } from "./lineDiff";

const DIFF_STYLE = {
  same: { color: "inherit", background: "transparent", mark: " " },
  removed: { color: "#820014", background: "#fff1f0", mark: "-" },
  added: { color: "#135200", background: "#f6ffed", mark: "+" },
} as const;

function Diff({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = lineDiff(before, after);
  const changed = lines.filter((l) => l.kind !== "same").length;
  if (changed === 0) return <Typography.Text type="secondary">No change against the shipped version.</Typography.Text>;
  return (
    <div tabIndex={0} style={{ overflowX: "auto" }} aria-label={label} role="region">
      <pre style={{ margin: 0, fontSize: 12 }}>
        {lines.map((line, index) => {
          const style = DIFF_STYLE[line.kind];
          return (
            <div key={index} data-diff={line.kind} style={{ color: style.color, background: style.background }}>
              {style.mark} {line.text}
            </div>
          );
        })}
      </pre>
    </div>
  );
}

/** The prompt as the model would read it for the sample brief, each placeholder's value listed. */
function Preview({ preview }: { preview: PromptPreview }) {
  const values = Object.entries(preview.values);
  return (
    <Card size="small" type="inner" title={`Preview of ${preview.label} for the sample brief “${preview.brief.name}”`}>
      {values.length > 0 ? (
        <Typography.Paragraph type="secondary">
          Filled in: {values.map(([key, value]) => `$${key} = ${value}`).join("; ")}
        </Typography.Paragraph>
      ) : (
        <Typography.Paragraph type="secondary">This prompt has no placeholders.</Typography.Paragraph>
      )}
      <div tabIndex={0} role="region" aria-label={`Preview of ${preview.name}`} style={{ overflowX: "auto" }}>
        <pre style={{ margin: 0, fontSize: 12, whiteSpace: "pre-wrap" }}>{preview.rendered}</pre>
      </div>
    </Card>
  );
}

function PromptEditor({ prompt }: { prompt: AgentPrompt }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [showDiff, setShowDiff] = useState(false);
  const save = useSavePrompt(prompt.name);
  const reset = useResetPrompt(prompt.name);
  const preview = usePreviewPrompt(prompt.name);
  const text = draft ?? prompt.text;
  return (
    <Card
      size="small"
      title={
        <Space wrap>
          <span>{prompt.name}</span>
          <Tag>shipped version {prompt.shipped_version}</Tag>
          <Tag color={prompt.edited ? "orange" : "default"}>
            runs {prompt.label}
          </Tag>
        </Space>
      }
      aria-label={`Prompt ${prompt.name}`}
    >
      <Flex vertical gap={8}>
        <Typography.Text type="secondary">
          {prompt.purpose} Placeholders: {prompt.placeholders.map((p) => `$${p}`).join(", ") || "none"}.
        </Typography.Text>
        <Input.TextArea
          aria-label={`Text of ${prompt.name}`}
          autoSize={{ minRows: 6, maxRows: 20 }}
          value={text}
          onChange={(event) => {
            setDraft(event.target.value);
            setShowDiff(false);
            preview.reset();
          }}
        />
        <Input
          aria-label={`Why ${prompt.name} changes`}
          placeholder="Why (kept in the history)"
          value={note}
          onChange={(event) => setNote(event.target.value)}
        />
        <Space wrap>
          <Button onClick={() => setShowDiff(true)}>Show diff against shipped</Button>
          <Button loading={preview.isPending} onClick={() => preview.mutate(draft)}>
            Preview with a sample brief
          </Button>
          <PermittedButton
            permission="safety:manage"
            type="primary"
            loading={save.isPending}
            onClick={() =>
              save.mutate(
                { text, note },
                {
                  onSuccess: () => {
                    setDraft(null);
                    setNote("");
                    setShowDiff(false);
                  },
                },
              )
            }
          >
            Save as new version
          </PermittedButton>
          {prompt.edited ? (
            <PermittedButton
              permission="safety:manage"
              loading={reset.isPending}
              onClick={() => reset.mutate(undefined, { onSuccess: () => setDraft(null) })}
            >
              Reset to shipped
            </PermittedButton>
          ) : null}
        </Space>
        {showDiff ? <Diff before={prompt.shipped_text} after={text} label={`Diff of ${prompt.name} against shipped`} /> : null}
        {preview.data ? <Preview preview={preview.data} /> : null}
        <ProblemAlert error={save.error ?? reset.error ?? preview.error} />
        {(prompt.history ?? []).length > 0 ? (
          <List
            size="small"
            header={<Typography.Text strong>Saved versions</Typography.Text>}
            dataSource={prompt.history ?? []}
            renderItem={(edit) => (
              <List.Item>
                <Typography.Text>
                  {edit.reset ? `Reset to shipped version ${edit.shipped_version}` : edit.label} by {edit.created_by},{" "}
                  {new Date(edit.created_at).toLocaleString()}
                  {edit.note ? ` — ${edit.note}` : ""}
                </Typography.Text>
              </List.Item>
            )}
          />
        ) : null}
      </Flex>
    </Card>
  );
}

export function PromptsPanel() {
  const prompts = usePrompts();
  if (!prompts.data) return <ProblemAlert error={prompts.error} />;
  return (
    <Flex vertical gap={12}>
      <Alert
        type="info"
        showIcon
        title="The strategist's prompts. A saved edit runs from the next plan or answer, which records the version it ran (for example plan_system@1.edit2); reset goes back to the shipped text."
      />
      {prompts.data.map((prompt) => (
        <PromptEditor key={`${prompt.name}-${prompt.label}`} prompt={prompt} />
      ))}
    </Flex>
  );
}
