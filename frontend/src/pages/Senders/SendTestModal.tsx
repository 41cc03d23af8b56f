/** "Send test message": one message through a sender to a chat that started the bot. */
import { Alert, Form, Input, InputNumber, Modal } from "antd";

import { useSendTest } from "../../api/directory";
import type { Sender, SenderTestResult } from "../../api/types";
import { ProblemAlert } from "../../components/ProblemAlert";

interface FormValues {
  chat_id: number;
  text: string;
}

const DEFAULT_TEXT = "Test message from Marketing Intelligence Agent.";

function Outcome({ result }: { result: SenderTestResult }) {
  if (result.ok) {
    return (
      <Alert
        type="success"
        showIcon
        title="Sent"
        description={`Telegram accepted it${result.message_id != null ? ` (message ${result.message_id})` : ""}${result.bot_username ? `, from @${result.bot_username}` : ""}.`}
      />
    );
  }
  const retry = result.retry_after_s != null ? ` Retry after ${result.retry_after_s} s.` : "";
  return <Alert type="warning" showIcon title={`Not sent: ${result.status}`} description={`${result.reason ?? "Telegram refused it."}${retry}`} />;
}

export function SendTestModal({ sender, onClose }: { sender: Sender | null; onClose: () => void }) {
  const [form] = Form.useForm<FormValues>();
  const send = useSendTest();

  return (
    <Modal
      title={sender ? `Send a test message from “${sender.name}”` : undefined}
      open={sender !== null}
      okText="Send"
      okButtonProps={{ loading: send.isPending }}
      onOk={() => form.submit()}
      onCancel={onClose}
      afterClose={() => {
        send.reset();
        form.resetFields();
      }}
      destroyOnHidden
    >
      <Form<FormValues>
        form={form}
        name="send-test"
        layout="vertical"
        initialValues={{ text: DEFAULT_TEXT }}
        onFinish={(values) => sender && send.mutate({ senderId: sender.id, body: values })}
      >
        <Form.Item
          label="Chat id"
          name="chat_id"
          extra="A chat that has started the bot: a person's Telegram id, or a group's negative id."
          rules={[{ required: true, message: "Enter the chat id" }]}
        >
          <InputNumber precision={0} style={{ width: "100%" }} placeholder="123456789" />
        </Form.Item>
        <Form.Item label="Text" name="text" rules={[{ required: true, whitespace: true, message: "Write the message" }]}>
          <Input.TextArea rows={3} maxLength={4096} />
        </Form.Item>
      </Form>
      {send.data && <Outcome result={send.data} />}
      <ProblemAlert error={send.error} />
    </Modal>
  );
}
