/**
 * The parts of a variant beyond its text, inside the editor's Form.List: an image (the text becomes
 * its caption, at most 1024 UTF-16 units), link buttons under the message, and the variant's
 * translations, which are removed on save when the text changed so nobody gets a stale translation.
 */
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, Button, Flex, Form, Input, Space, Tag, Typography } from "antd";

export const CAPTION_LIMIT = 1024;
export const MAX_BUTTONS = 8;

export interface VariantButton {
  text: string;
  url: string;
}

export interface VariantValues {
  text: string;
  weight: number;
  image_url?: string;
  buttons?: VariantButton[];
}

export interface SavedVariant {
  text: string;
  translations: Record<string, string>;
}

const HTTP_URL = /^https?:\/\/[^\s/$.?#].[^\s]*$/i;

const urlRule = { pattern: HTTP_URL, message: "An http(s) address, e.g. https://shop.example.com/boots" };

export function VariantImageField({ name, label }: { name: number; label: string }) {
  return (
    <Form.Item
      name={[name, "image_url"]}
      label={`Image of variant ${label} (optional)`}
      extra="A photo Telegram fetches from this address; the text becomes its caption (at most 1,024 characters)."
      rules={[urlRule]}
    >
      <Input placeholder="https://…/picture.jpg" inputMode="url" />
    </Form.Item>
  );
}

export function VariantButtonsField({ name, label }: { name: number; label: string }) {
  return (
    <Form.List name={[name, "buttons"]}>
      {(fields, { add, remove }) => (
        <fieldset style={{ border: 0, padding: 0, margin: "0 0 12px" }}>
          <legend style={{ fontSize: 14, marginBottom: 8, border: 0 }}>Buttons of variant {label}</legend>
          <Space orientation="vertical" size={4} style={{ width: "100%" }}>
            {fields.map((field, index) => (
              <Flex key={field.key} gap={8} wrap align="start">
                <Form.Item
                  name={[field.name, "text"]}
                  rules={[
                    { required: true, message: "Label the button" },
                    { max: 64, message: "At most 64 characters" },
                  ]}
                  style={{ marginBottom: 4, flex: "1 1 160px" }}
                >
                  <Input aria-label={`Label of button ${index + 1} of variant ${label}`} placeholder="Label, e.g. Shop the boots" maxLength={64} />
                </Form.Item>
                <Form.Item
                  name={[field.name, "url"]}
                  rules={[{ required: true, message: "Where it leads" }, urlRule]}
                  style={{ marginBottom: 4, flex: "2 1 220px" }}
                >
                  <Input aria-label={`Link of button ${index + 1} of variant ${label}`} placeholder="https://…" inputMode="url" />
                </Form.Item>
                <Button
                  type="text"
                  icon={<MinusCircleOutlined aria-hidden />}
                  aria-label={`Remove button ${index + 1} of variant ${label}`}
                  onClick={() => remove(field.name)}
                />
              </Flex>
            ))}
            {fields.length < MAX_BUTTONS && (
              <Button size="small" icon={<PlusOutlined aria-hidden />} onClick={() => add({ text: "", url: "" })}>
                Add button to variant {label}
              </Button>
            )}
          </Space>
        </fieldset>
      )}
    </Form.List>
  );
}

/** The variant's translations: kept while its text is as saved, dropped on save once it changes. */
export function VariantTranslations({
  label,
  translations,
  textChanged,
  onRemove,
}: {
  label: string;
  translations: Record<string, string>;
  textChanged: boolean;
  onRemove: () => void;
}) {
  const languages = Object.keys(translations).sort();
  if (languages.length === 0) return null;
  return (
    <section aria-label={`Translations of variant ${label}`} style={{ marginBottom: 12 }}>
      <Flex gap={6} wrap align="center">
        <Typography.Text type="secondary">Translations:</Typography.Text>
        {languages.map((lang) => (
          <Tag key={lang} title={translations[lang]}>
            {lang}
          </Tag>
        ))}
        {!textChanged && (
          <Button size="small" type="link" onClick={onRemove}>
            Remove translations of variant {label}
          </Button>
        )}
      </Flex>
      {textChanged && (
        <Alert
          role="status"
          type="warning"
          showIcon
          style={{ marginTop: 8 }}
          title={`The text changed: its ${languages.length === 1 ? "translation" : "translations"} (${languages.join(", ")}) will be removed on save.`}
          description="Contacts in those languages then get the new text, never a translation of the old one. Ask the strategist for new translations afterwards."
        />
      )}
    </section>
  );
}

/** The variant as the API takes it: the translations of the saved variant with the same text, unless
 * the user removed them; none once the text changed (they would translate the old text). */
export function variantBody(values: VariantValues, saved: SavedVariant[], removed: ReadonlySet<string>) {
  const same = saved.find((v) => v.text === values.text);
  const image = values.image_url?.trim();
  return {
    text: values.text,
    weight: values.weight,
    image_url: image ? image : null,
    buttons: (values.buttons ?? []).map((b) => ({ text: b.text.trim(), url: b.url.trim() })),
    translations: same && !removed.has(same.text) ? same.translations : {},
  };
}
