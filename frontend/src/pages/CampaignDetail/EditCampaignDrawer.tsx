/**
 * Edit a draft (or a campaign waiting for review): name, brief, audience, link and the variants, each
 * with its weight, placeholders, a Telegram length counter (UTF-16 units) and a live preview for a
 * chosen contact. Changed texts are scored again by the server and may send the campaign to review.
 */
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Drawer, Flex, Form, Input, InputNumber, Select, Space, Tag, Typography } from "antd";
import { useRef, useState } from "react";

import { useContactList } from "../../api/admin";
import { useUpdateCampaign } from "../../api/campaigns";
import { useSegments } from "../../api/directory";
import type { Campaign, CampaignUpdate, Contact } from "../../api/types";
import { STATUS_LABEL } from "../../components/campaignStatus";
import { formatCount } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { PLACEHOLDERS, renderPreview, TELEGRAM_TEXT_LIMIT, telegramLength } from "../../components/rendering";
import {
  CAPTION_LIMIT,
  type SavedVariant,
  VariantButtonsField,
  VariantImageField,
  VariantTranslations,
  variantBody,
  type VariantValues,
} from "./VariantExtras";

interface Values {
  name: string;
  goal: string;
  segment_id?: number | null;
  cta_url?: string;
  variants: VariantValues[];
}

function LengthCounter({ text, limit }: { text: string; limit: number }) {
  const length = telegramLength(text);
  const over = length > limit;
  return (
    <Typography.Text type={over ? "danger" : "secondary"} aria-live="polite">
      {length} / {limit} characters{limit === CAPTION_LIMIT ? " (a caption under the image)" : ""} (Telegram counts UTF-16 units)
    </Typography.Text>
  );
}

export function EditCampaignDrawer({ campaign, open, onClose }: { campaign: Campaign; open: boolean; onClose: () => void }) {
  const [form] = Form.useForm<Values>();
  const variants = (Form.useWatch("variants", form) as Values["variants"] | undefined) ?? [];
  const [search, setSearch] = useState("");
  // The picked contact itself: the list it was picked from changes with the search (which the
  // select clears on a pick), and the preview must not lose it.
  const [previewContact, setPreviewContact] = useState<Contact | null>(null);
  const contacts = useContactList({ q: search || undefined, limit: 20, offset: 0 });
  const segments = useSegments();
  const update = useUpdateCampaign(campaign.id);
  const { message } = App.useApp();
  // The saved variants, by position: a translation is kept only while its variant's text is as saved.
  const originals: SavedVariant[] = campaign.variants.map((v) => ({ text: v.text, translations: v.translations ?? {} }));
  // Texts whose translations the user removed (the translations are not form fields: nobody edits them here).
  const [removedTranslations, setRemovedTranslations] = useState<ReadonlySet<string>>(new Set());
  const contactLabel = (c: Contact) => `${c.first_name ?? c.username ?? c.telegram_id}${c.username ? ` @${c.username}` : ""}`;
  const listed = contacts.data?.items ?? [];
  // Every contact a search has listed, by id: a pick is resolved from here, as the list it was
  // picked from may already have been replaced by the next search's answer.
  const seen = useRef(new Map<number, Contact>());
  for (const c of listed) seen.current.set(c.id, c);
  const contactOptions = [
    ...(previewContact && !listed.some((c) => c.id === previewContact.id) ? [previewContact] : []),
    ...listed,
  ].map((c) => ({ value: c.id, label: contactLabel(c) }));

  const insert = (index: number, name: string) => {
    const current = form.getFieldValue(["variants", index, "text"]) ?? "";
    form.setFieldValue(["variants", index, "text"], `${current}{${name}}`);
  };

  const submit = async () => {
    const values = await form.validateFields();
    const body: CampaignUpdate = {
      name: values.name.trim(),
      goal: values.goal.trim(),
      segment_id: values.segment_id ?? null,
      cta_url: values.cta_url?.trim() ? values.cta_url.trim() : null,
      variants: values.variants.map((v) => variantBody(v, originals, removedTranslations)),
    };
    update.mutate(body, {
      onSuccess: (saved) => {
        void message.success(
          saved.status === "pending_review"
            ? "Saved. The new texts need a reviewer's approval."
            : `Saved: ${STATUS_LABEL[saved.status].toLowerCase()}`,
        );
        onClose();
      },
    });
  };

  return (
    <Drawer
      title={`Edit “${campaign.name}”`}
      open={open}
      onClose={onClose}
      size={Math.min(820, window.innerWidth)}
      destroyOnHidden
      footer={
        <Flex justify="end" gap={8}>
          <Button onClick={onClose}>Close</Button>
          <Button type="primary" loading={update.isPending} onClick={submit}>
            Save changes
          </Button>
        </Flex>
      }
    >
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 16 }}
        title="Changed texts are checked by the safety guard again; a risky campaign goes to the review queue."
      />
      <ProblemAlert error={update.error} />
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{
          name: campaign.name,
          goal: campaign.goal,
          segment_id: campaign.segment_id,
          cta_url: campaign.cta_url ?? "",
          variants: campaign.variants.map((v) => ({
            text: v.text,
            weight: v.weight,
            image_url: v.image_url ?? "",
            buttons: (v.buttons ?? []).map((b) => ({ text: b.text, url: b.url })),
          })),
        }}
      >
        <Form.Item name="name" label="Name" rules={[{ required: true, message: "Name the campaign" }]}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="goal" label="Brief" rules={[{ required: true, min: 3, message: "Describe the goal" }]}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} />
        </Form.Item>
        <Form.Item name="segment_id" label="Audience">
          <Select
            allowClear
            placeholder="All contacts"
            options={(segments.data?.items ?? []).map((s) => ({ value: s.id, label: `${s.name} (${formatCount(s.size)})` }))}
          />
        </Form.Item>
        <Form.Item name="cta_url" label="Link (CTA URL)">
          <Input placeholder="https://…" />
        </Form.Item>
        <Form.Item label="Preview for contact" htmlFor="preview-contact">
          <Select<number>
            id="preview-contact"
            showSearch={{ filterOption: false, onSearch: setSearch }}
            allowClear
            placeholder="A sample contact (Alex)"
            value={previewContact?.id}
            onChange={(id) => setPreviewContact(id === undefined ? null : (seen.current.get(id) ?? null))}
            options={contactOptions}
          />
        </Form.Item>
        <Form.List name="variants">
          {(fields, { add, remove }) => (
            <Space orientation="vertical" size={12} style={{ width: "100%" }}>
              {fields.map((field, index) => {
                const key = "ABCDE"[index];
                const text = variants[index]?.text ?? "";
                const limit = variants[index]?.image_url?.trim() ? CAPTION_LIMIT : TELEGRAM_TEXT_LIMIT;
                const buttons = (variants[index]?.buttons ?? []).filter((b) => b?.text);
                return (
                  <Card key={field.key} size="small" title={`Variant ${key}`} extra={fields.length > 1 && (
                    <Button type="text" icon={<MinusCircleOutlined aria-hidden />} aria-label={`Remove variant ${key}`} onClick={() => remove(field.name)} />
                  )}>
                    <Form.Item
                      name={[field.name, "text"]}
                      label={`Text of variant ${key}`}
                      rules={[
                        { required: true, message: "Write the message" },
                        {
                          validator: (_, value: string) =>
                            telegramLength(value ?? "") > limit
                              ? Promise.reject(new Error(limit === CAPTION_LIMIT ? "Longer than a caption may be (1,024)" : "Longer than Telegram allows"))
                              : Promise.resolve(),
                        },
                      ]}
                      dependencies={[["variants", field.name, "image_url"]]}
                      extra={<LengthCounter text={text} limit={limit} />}
                    >
                      <Input.TextArea autoSize={{ minRows: 2, maxRows: 8 }} />
                    </Form.Item>
                    <Flex gap={8} wrap align="center" style={{ marginBottom: 8 }}>
                      <Typography.Text type="secondary">Insert:</Typography.Text>
                      {PLACEHOLDERS.map((p) => (
                        <Button key={p} size="small" onClick={() => insert(field.name, p)} aria-label={`Insert {${p}} into variant ${key}`}>
                          {`{${p}}`}
                        </Button>
                      ))}
                      <Form.Item name={[field.name, "weight"]} label="Weight" style={{ margin: 0 }} layout="horizontal">
                        <InputNumber min={0.01} step={0.5} aria-label={`Weight of variant ${key}`} />
                      </Form.Item>
                    </Flex>
                    {(() => {
                      // The saved variant at this place: its translations, kept while its text is unchanged.
                      const saved = originals[index];
                      if (!saved || removedTranslations.has(saved.text)) return null;
                      return (
                        <VariantTranslations
                          label={key ?? ""}
                          translations={saved.translations}
                          textChanged={saved.text !== text}
                          onRemove={() => setRemovedTranslations((set) => new Set([...set, saved.text]))}
                        />
                      );
                    })()}
                    <VariantImageField name={field.name} label={key ?? ""} />
                    <VariantButtonsField name={field.name} label={key ?? ""} />
                    <section aria-label={`Preview of variant ${key}`}>
                      <Typography.Text type="secondary">Preview: </Typography.Text>
                      {limit === CAPTION_LIMIT && <Tag>with image</Tag>}
                      <Typography.Text style={{ whiteSpace: "pre-wrap" }}>{renderPreview(text, previewContact)}</Typography.Text>
                      {buttons.length > 0 && (
                        <Flex gap={6} wrap style={{ marginTop: 6 }}>
                          {buttons.map((b, i) => (
                            <Tag key={i} color="blue">
                              {b.text}
                            </Tag>
                          ))}
                        </Flex>
                      )}
                    </section>
                  </Card>
                );
              })}
              {fields.length < 5 && (
                <Button icon={<PlusOutlined aria-hidden />} onClick={() => add({ text: "", weight: 1, buttons: [] })}>
                  Add variant
                </Button>
              )}
            </Space>
          )}
        </Form.List>
      </Form>
    </Drawer>
  );
}
