/** "Add bot": a Telegram bot sender. The token is checked with Telegram (botapi) and stored encrypted. */
import { App, Button, Drawer, Flex, Form, Input, Select, Switch } from "antd";

import { useCreateSender } from "../../api/directory";
import { asApiError, formPath } from "../../api/problem";
import type { SenderCreate } from "../../api/types";
import { ProblemAlert } from "../../components/ProblemAlert";

interface FormValues {
  name: string;
  secret?: string;
  transport: "botapi" | "simulator";
  profile: string;
  bot_api_url?: string;
  double_opt_in: boolean;
  opt_in_text?: string;
}

const INITIAL: FormValues = { name: "", transport: "botapi", profile: "bot", double_opt_in: false };

function toRequest(values: FormValues): SenderCreate {
  const trimmed = (v: string | undefined) => (v?.trim() ? v.trim() : null);
  return {
    name: values.name.trim(),
    kind: "bot",
    transport: values.transport,
    profile: values.profile,
    secret: trimmed(values.secret),
    bot_api_url: trimmed(values.bot_api_url),
    double_opt_in: values.double_opt_in,
    opt_in_text: values.double_opt_in ? trimmed(values.opt_in_text) : null,
  };
}

export function AddBotDrawer({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const create = useCreateSender();
  const doubleOptIn = Form.useWatch("double_opt_in", form) ?? false;
  const transport = Form.useWatch("transport", form) ?? "botapi";

  const onFinish = (values: FormValues) =>
    create.mutate(toRequest(values), {
      onSuccess: (sender) => {
        void message.success(`Bot “${sender.name}” added${sender.bot_username ? ` (@${sender.bot_username})` : ""}`);
        onClose();
      },
      onError: (error) => {
        const fields = asApiError(error)
          .errors.map((e) => ({ name: formPath(e.loc), errors: [e.msg] }))
          .filter((f) => f.name.length > 0 && form.getFieldInstance(f.name as never) !== undefined);
        if (fields.length > 0) form.setFields(fields as Parameters<typeof form.setFields>[0]);
      },
    });

  return (
    <Drawer
      title="Add bot"
      open={open}
      size={Math.min(480, window.innerWidth)}
      destroyOnHidden
      onClose={onClose}
      afterOpenChange={(visible) => {
        if (!visible) {
          create.reset();
          form.resetFields();
        }
      }}
    >
      <Form<FormValues> form={form} name="add-bot" layout="vertical" initialValues={INITIAL} onFinish={onFinish} disabled={create.isPending}>
        <Form.Item label="Name" name="name" rules={[{ required: true, whitespace: true, message: "Give the bot a name" }]}>
          <Input maxLength={128} placeholder="Shop news bot" autoComplete="off" />
        </Form.Item>
        <Form.Item
          label="Bot token"
          name="secret"
          extra="From @BotFather. Checked with Telegram, stored encrypted and never shown again."
          rules={transport === "botapi" ? [{ required: true, whitespace: true, message: "Paste the bot's token" }] : []}
        >
          <Input.Password placeholder="123456789:AA…" autoComplete="new-password" spellCheck={false} />
        </Form.Item>
        <Form.Item label="Transport" name="transport" extra="The simulator sends nothing to Telegram: for trying things out.">
          <Select
            options={[
              { value: "botapi", label: "Telegram Bot API" },
              { value: "simulator", label: "Simulator" },
            ]}
          />
        </Form.Item>
        <Form.Item label="Limits profile" name="profile" extra="The sending limits the bot is held to.">
          <Select
            options={[
              { value: "bot", label: "bot: ordinary bot limits" },
              { value: "paid_broadcast", label: "paid_broadcast: paid broadcasts (Telegram Stars)" },
            ]}
          />
        </Form.Item>
        {transport === "botapi" && (
          <Form.Item label="Bot API server" name="bot_api_url" extra="Empty: the server's default (MA_TELEGRAM_BOT_API_URL).">
            <Input placeholder="https://api.telegram.org" inputMode="url" />
          </Form.Item>
        )}
        <Form.Item
          label="Double opt-in"
          name="double_opt_in"
          valuePropName="checked"
          extra="Consent is recorded only when the person presses “Yes, subscribe” under the opt-in text, not on /start alone."
        >
          <Switch />
        </Form.Item>
        {doubleOptIn && (
          <Form.Item label="Opt-in text" name="opt_in_text" extra="What the person agrees to; kept as proof. Empty: a text naming the sender.">
            <Input.TextArea rows={3} maxLength={1024} />
          </Form.Item>
        )}
        <ProblemAlert error={create.error} />
        <Flex gap={8} justify="flex-end">
          <Button onClick={onClose} disabled={false}>
            Cancel
          </Button>
          <Button type="primary" htmlType="submit" loading={create.isPending}>
            Add bot
          </Button>
        </Flex>
      </Form>
    </Drawer>
  );
}
