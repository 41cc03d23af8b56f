/** The frame of every signed-in page: side menu, the user's name and role, and Log out. */
import {
  AuditOutlined,
  ContactsOutlined,
  LogoutOutlined,
  NotificationOutlined,
  SendOutlined,
  UserOutlined,
} from "@ant-design/icons";
import { Avatar, Badge, Button, Layout, Menu, Space, Tag, Typography, theme } from "antd";
import type { MenuProps } from "antd";
import { Outlet, useLocation, useNavigate } from "react-router";

import { useMe } from "../api/auth";
import { useOpenReviewCount } from "../api/reviews";
import { session, useSession } from "../auth/session";

const { Header, Sider, Content } = Layout;

const SECTIONS = [
  { key: "/campaigns", label: "Campaigns", icon: <NotificationOutlined aria-hidden /> },
  { key: "/reviews", label: "Review queue", icon: <AuditOutlined aria-hidden /> },
  { key: "/contacts", label: "Contacts", icon: <ContactsOutlined aria-hidden /> },
  { key: "/senders", label: "Senders", icon: <SendOutlined aria-hidden /> },
];

function selectedSection(pathname: string): string {
  return SECTIONS.find((s) => pathname === s.key || pathname.startsWith(`${s.key}/`))?.key ?? "/campaigns";
}

export function AppLayout() {
  const { token: design } = theme.useToken();
  const location = useLocation();
  const navigate = useNavigate();
  const { user } = useSession();
  useMe();
  const openReviews = useOpenReviewCount();

  const items: MenuProps["items"] = SECTIONS.map((section) => ({
    key: section.key,
    icon: section.icon,
    label:
      section.key === "/reviews" && (openReviews.data ?? 0) > 0 ? (
        <Space size={8}>
          {section.label}
          <Badge count={openReviews.data} size="small" aria-label={`${openReviews.data} open`} />
        </Space>
      ) : (
        section.label
      ),
  }));

  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Sider breakpoint="lg" collapsedWidth={0} width={220} theme="dark">
        <div style={{ padding: "18px 20px", color: "#fff", fontWeight: 600, lineHeight: 1.3 }}>
          Marketing Intelligence Agent
        </div>
        <nav aria-label="Main">
          <Menu
            theme="dark"
            mode="inline"
            selectedKeys={[selectedSection(location.pathname)]}
            items={items}
            onClick={({ key }) => navigate(key)}
          />
        </nav>
      </Sider>
      <Layout>
        <Header
          style={{
            background: design.colorBgContainer,
            paddingInline: 24,
            display: "flex",
            justifyContent: "flex-end",
            alignItems: "center",
            borderBottom: `1px solid ${design.colorBorderSecondary}`,
          }}
        >
          <Space size={12}>
            <Avatar size="small" icon={<UserOutlined aria-hidden />} />
            <Typography.Text strong>{user?.username ?? "…"}</Typography.Text>
            {user && <Tag color="blue">{user.role}</Tag>}
            <Button icon={<LogoutOutlined aria-hidden />} onClick={() => session.signOut()}>
              Log out
            </Button>
          </Space>
        </Header>
        <Content style={{ padding: 24 }}>
          <main>
            <Outlet />
          </main>
        </Content>
      </Layout>
    </Layout>
  );
}
