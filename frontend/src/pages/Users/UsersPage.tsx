/**
 * The workspace's people: invite (a one-time password, shown once), change a role, deactivate or
 * reactivate, reset a password, delete. Only a role with users:manage sees the list; the server
 * refuses the rest (no self-demotion, the last admin stays) and the page shows its reason.
 */
import { UserAddOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Flex, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from "antd";
import type { TableProps } from "antd";
import { useState } from "react";

import type { Role, User, UserCreate } from "../../api/types";
import { useDeleteUser, useInviteUser, useResetPassword, useRoles, useUpdateUser, useUsers } from "../../api/users";
import { usePermissions } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useNotifyProblem } from "../../components/useNotifyProblem";

const ROLE_HELP: Record<string, string> = {
  admin: "everything, including users and settings",
  marketer: "campaigns, contacts, segments, results",
  reviewer: "decides the review queue",
  viewer: "reads only",
};

function roleOptions(roles: string[]) {
  return roles.map((role) => ({ value: role, label: ROLE_HELP[role] ? `${role} — ${ROLE_HELP[role]}` : role }));
}

/** A password shown once (invite or reset), to copy and hand over. */
function OneTimePassword({ username, password, onClose }: { username: string; password: string; onClose: () => void }) {
  return (
    <Alert
      role="status"
      type="success"
      showIcon
      closable={{ onClose, "aria-label": "Dismiss the password" }}
      style={{ marginBottom: 16 }}
      title={`One-time password for ${username}: copy it now, it is shown only once.`}
      description={
        <Space orientation="vertical" size={4}>
          <Typography.Text code copyable aria-label={`One-time password for ${username}`}>
            {password}
          </Typography.Text>
          <Typography.Text type="secondary">They must choose their own password when they first sign in.</Typography.Text>
        </Space>
      }
    />
  );
}

function InviteDialog({
  open,
  roles,
  onClose,
  onInvited,
}: {
  open: boolean;
  roles: string[];
  onClose: () => void;
  onInvited: (username: string, password: string) => void;
}) {
  const [form] = Form.useForm<UserCreate>();
  const invite = useInviteUser();
  const submit = async () => {
    const values = await form.validateFields();
    invite.mutate(
      { username: values.username.trim(), role: values.role, password: values.password || null },
      {
        onSuccess: (created) => {
          onInvited(created.username, created.one_time_password);
          onClose();
        },
      },
    );
  };
  return (
    <Modal
      open={open}
      title="Invite a user"
      okText="Invite"
      okButtonProps={{ loading: invite.isPending }}
      cancelText="Cancel"
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      afterOpenChange={(isOpen) => {
        if (!isOpen) invite.reset();
      }}
    >
      <ProblemAlert error={invite.error} />
      <Form form={form} layout="vertical" name="invite-user" preserve={false} initialValues={{ role: "viewer" }}>
        <Form.Item
          name="username"
          label="Username"
          rules={[
            { required: true, message: "Choose a username" },
            { min: 2, max: 64, message: "2 to 64 characters" },
            { pattern: /^[A-Za-z0-9_.@-]+$/, message: "Letters, digits and _ . @ - only" },
          ]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="role" label="Role" rules={[{ required: true }]}>
          <Select options={roleOptions(roles)} />
        </Form.Item>
        <Form.Item
          name="password"
          label="Password (optional)"
          extra="Leave empty to generate one. Either way it works once: they choose their own at first sign-in."
          rules={[{ min: 10, message: "At least 10 characters" }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function UsersPage() {
  const { can, reason, loaded } = usePermissions();
  const allowed = can("users:manage");
  const users = useUsers(allowed);
  const roles = useRoles();
  const update = useUpdateUser();
  const reset = useResetPassword();
  const remove = useDeleteUser();
  const { user: me } = useSession();
  const { message } = App.useApp();
  const notifyProblem = useNotifyProblem();
  const [inviting, setInviting] = useState(false);
  const [shown, setShown] = useState<{ username: string; password: string } | null>(null);
  const roleNames = (roles.data ?? []).map((r) => r.role as string);

  const columns: TableProps<User>["columns"] = [
    {
      title: "Username",
      dataIndex: "username",
      render: (name: string, u) => (
        <Space size={6}>
          <Typography.Text strong>{name}</Typography.Text>
          {u.username === me?.username && <Tag>you</Tag>}
        </Space>
      ),
    },
    {
      title: "Role",
      dataIndex: "role",
      render: (role: Role, u) => (
        <Select<Role>
          aria-label={`Role of ${u.username}`}
          value={role}
          size="small"
          style={{ width: 130 }}
          disabled={u.username === me?.username}
          title={u.username === me?.username ? "You cannot change your own role" : undefined}
          options={roleNames.map((r) => ({ value: r as Role, label: r }))}
          onChange={(next) =>
            update.mutate(
              { id: u.id, body: { role: next } },
              { onSuccess: () => void message.success(`${u.username} is now ${next}`), onError: notifyProblem },
            )
          }
        />
      ),
    },
    {
      title: "State",
      key: "state",
      render: (_, u) => (
        <Space size={4} wrap>
          {u.is_active ? <Tag color="success">active</Tag> : <Tag color="default">deactivated</Tag>}
          {u.must_change_password && <Tag color="warning">one-time password</Tag>}
        </Space>
      ),
    },
    { title: "Last sign-in", dataIndex: "last_login_at", render: (iso: string | null) => formatDateTime(iso) },
    { title: "Created", dataIndex: "created_at", render: (iso: string | null) => formatDateTime(iso) },
    {
      title: "Actions",
      key: "actions",
      render: (_, u) => {
        const self = u.username === me?.username;
        return (
          <Space size={6} wrap>
            <Button
              size="small"
              disabled={self}
              title={self ? "You cannot deactivate yourself" : undefined}
              onClick={() =>
                update.mutate(
                  { id: u.id, body: { is_active: !u.is_active } },
                  {
                    onSuccess: () => void message.success(u.is_active ? `${u.username} deactivated` : `${u.username} reactivated`),
                    onError: notifyProblem,
                  },
                )
              }
            >
              {u.is_active ? "Deactivate" : "Reactivate"}
            </Button>
            <Popconfirm
              title={`Reset the password of ${u.username}?`}
              description="Their sessions end; you get a one-time password to hand over."
              okText="Reset"
              disabled={self}
              onConfirm={() =>
                reset.mutate(u.id, {
                  onSuccess: (answer) => setShown({ username: answer.user.username, password: answer.one_time_password }),
                  onError: notifyProblem,
                })
              }
            >
              <Button size="small" disabled={self} title={self ? "Change your own password in Settings" : undefined}>
                Reset password
              </Button>
            </Popconfirm>
            <Popconfirm
              title={`Delete ${u.username}?`}
              description="Their sessions and API keys stop at once; the audit log keeps the name."
              okText="Delete"
              okButtonProps={{ danger: true }}
              disabled={self}
              onConfirm={() => remove.mutate(u.id, { onSuccess: () => void message.success(`${u.username} deleted`), onError: notifyProblem })}
            >
              <Button size="small" danger disabled={self} title={self ? "You cannot delete yourself" : undefined}>
                Delete
              </Button>
            </Popconfirm>
          </Space>
        );
      },
    },
  ];

  return (
    <>
      <Flex justify="space-between" align="center" gap={12} wrap style={{ marginBottom: 16 }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          Users
        </Typography.Title>
        <PermittedButton permission="users:manage" type="primary" icon={<UserAddOutlined aria-hidden />} onClick={() => setInviting(true)}>
          Invite user
        </PermittedButton>
      </Flex>
      {loaded && !allowed && <Alert type="info" showIcon title={reason("users:manage")} style={{ marginBottom: 16 }} />}
      {shown && <OneTimePassword username={shown.username} password={shown.password} onClose={() => setShown(null)} />}
      {allowed && <ProblemAlert error={users.error} />}
      {allowed && (
        <Card styles={{ body: { padding: 0 } }}>
          <Table<User>
            rowKey="id"
            columns={columns}
            dataSource={users.data ?? []}
            loading={users.isLoading}
            pagination={false}
            scroll={{ x: "max-content" }}
          />
        </Card>
      )}
      <InviteDialog
        open={inviting}
        roles={roleNames}
        onClose={() => setInviting(false)}
        onInvited={(username, password) => setShown({ username, password })}
      />
    </>
  );
}
