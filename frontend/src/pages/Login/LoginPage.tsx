/** Sign in with a username and password; the token is kept in localStorage until Log out or a 401. */
import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { Navigate, useLocation, useNavigate } from "react-router";

import { useLogin } from "../../api/auth";
import { asApiError, formPath } from "../../api/problem";
import type { LoginRequest } from "../../api/types";
import { useSession } from "../../auth/session";
import { ProblemAlert } from "../../components/ProblemAlert";

function returnPath(state: unknown): string {
  if (typeof state === "object" && state !== null && "from" in state && typeof state.from === "string") {
    return state.from.startsWith("/") && !state.from.startsWith("/login") ? state.from : "/";
  }
  return "/";
}

export function LoginPage() {
  const [form] = Form.useForm<LoginRequest>();
  const login = useLogin();
  const { token, expired } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const next = returnPath(location.state);

  if (token && !login.isPending) return <Navigate to={next} replace />;

  const onFinish = (values: LoginRequest) => {
    login.mutate(values, {
      onSuccess: () => navigate(next, { replace: true }),
      onError: (error) => {
        const fields = asApiError(error)
          .errors.map((e) => ({ name: formPath(e.loc), errors: [e.msg] }))
          .filter((f) => f.name.length === 1 && (f.name[0] === "username" || f.name[0] === "password"));
        if (fields.length > 0) form.setFields(fields as Parameters<typeof form.setFields>[0]);
      },
    });
  };

  return (
    <div
      style={{
        minHeight: "100vh",
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        background: "linear-gradient(160deg, #f0f5ff 0%, #f5f5f5 60%)",
        padding: 16,
      }}
    >
      <main style={{ width: "100%", maxWidth: 380 }}>
        <Card>
          <Typography.Title level={3} style={{ marginTop: 0, marginBottom: 4 }}>
            Marketing Intelligence Agent
          </Typography.Title>
          <Typography.Paragraph type="secondary">Consent-first campaigns on Telegram. Sign in to continue.</Typography.Paragraph>
          {expired && !login.error && (
            <Alert type="info" showIcon title="Your session has ended. Please log in again." style={{ marginBottom: 16 }} />
          )}
          <ProblemAlert error={login.error} />
          <Form form={form} name="login" layout="vertical" requiredMark={false} onFinish={onFinish} disabled={login.isPending}>
            <Form.Item label="Username" name="username" rules={[{ required: true, message: "Enter your username" }]}>
              <Input autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item label="Password" name="password" rules={[{ required: true, message: "Enter your password" }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={login.isPending}>
              Log in
            </Button>
          </Form>
        </Card>
      </main>
    </div>
  );
}
