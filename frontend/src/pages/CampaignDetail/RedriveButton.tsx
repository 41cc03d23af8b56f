/** Re-drive: queue a campaign's dead letters and/or in-doubt deliveries again, after a confirmation. */
import { App, Alert, Button, Checkbox, Modal, Space, Typography } from "antd";
import { useState } from "react";

import { useRedrive } from "../../api/campaigns";
import { ProblemAlert } from "../../components/ProblemAlert";

export function RedriveButton({ campaignId, dead, inDoubt }: { campaignId: number; dead: number; inDoubt: number }) {
  const { message } = App.useApp();
  const redrive = useRedrive(campaignId);
  const [open, setOpen] = useState(false);
  // Dead letters are safe to send again; in-doubt ones may reach a person twice, so they are opt-in.
  const [withDead, setWithDead] = useState(true);
  const [withInDoubt, setWithInDoubt] = useState(false);

  const show = () => {
    redrive.reset();
    setWithDead(dead > 0);
    setWithInDoubt(false);
    setOpen(true);
  };
  const confirm = () =>
    redrive.mutate(
      { dead: withDead, in_doubt: withInDoubt },
      {
        onSuccess: (result) => {
          setOpen(false);
          void message.success(`Re-drive: ${result.requeued} ${result.requeued === 1 ? "delivery" : "deliveries"} queued again`);
        },
      },
    );

  return (
    <>
      <Button onClick={show}>Re-drive</Button>
      <Modal
        title="Re-drive parked deliveries?"
        open={open}
        okText="Re-drive"
        okButtonProps={{ disabled: !withDead && !withInDoubt, loading: redrive.isPending }}
        cancelText="Keep them parked"
        onOk={confirm}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <Typography.Paragraph>The chosen deliveries are queued again and go out with the campaign's limits and schedule.</Typography.Paragraph>
        <Space orientation="vertical" style={{ marginBottom: 12 }}>
          <Checkbox checked={withDead} disabled={dead === 0} onChange={(e) => setWithDead(e.target.checked)}>
            Dead letters ({dead})
          </Checkbox>
          <Checkbox checked={withInDoubt} disabled={inDoubt === 0} onChange={(e) => setWithInDoubt(e.target.checked)}>
            In-doubt deliveries ({inDoubt})
          </Checkbox>
        </Space>
        {withInDoubt && (
          <Alert
            type="warning"
            showIcon
            title="An in-doubt message may already have arrived: re-driving it can make a person receive it twice."
            style={{ marginBottom: 12 }}
          />
        )}
        <ProblemAlert error={redrive.error} />
      </Modal>
    </>
  );
}
