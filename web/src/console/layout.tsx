import { LogoutOutlined, SettingOutlined, UserOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Badge,
  Button,
  Dropdown,
  Layout,
  Menu,
  Segmented,
  Space,
  Switch,
  Tooltip,
  Typography,
} from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, Outlet, useLocation, useNavigate } from "react-router";
import { api, call } from "../shared/api.ts";
import { LANGUAGES, type Language, setLanguage } from "../shared/i18n.ts";
import { keys } from "../shared/keys.ts";
import { type LiveState, useLiveUpdates } from "../shared/live.ts";
import { type Session, useSession } from "../shared/session.ts";
import { SCREENS } from "./routes.tsx";

const LIVE_COLOUR: Record<LiveState, "processing" | "success" | "warning"> = {
  connecting: "processing",
  live: "success",
  reconnecting: "warning",
};

/** The frame around every screen once signed in: the menu, live status, duty, language and the person. */
export function ConsoleLayout() {
  const { data: session, isPending } = useSession();
  const location = useLocation();
  const live = useLiveUpdates(Boolean(session));
  if (isPending) return null;
  if (!session)
    return (
      <Navigate to={`/sign-in?from=${encodeURIComponent(location.pathname + location.search)}`} replace />
    );
  return <Frame session={session} live={live} />;
}

function Frame({ session, live }: { session: Session; live: LiveState }) {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const client = useQueryClient();
  const { message } = App.useApp();
  const [collapsed, setCollapsed] = useState(false);
  const mine = SCREENS.filter((s) => s.nav && session.permissions.includes(s.permission)).map((s) => ({
    key: `/${s.path}`,
    icon: s.nav?.icon,
    label: t(`nav.${s.nav?.key}`),
    group: s.nav?.group,
  }));
  const item = ({ group: _, ...i }: (typeof mine)[number]) => i;
  const grouped = mine.filter((i) => i.group === "settings").map(item);
  const items = [
    ...mine.filter((i) => !i.group).map(item),
    ...(grouped.length
      ? [{ key: "settings", icon: <SettingOutlined />, label: t("nav.settings"), children: grouped }]
      : []),
  ];
  // The deepest screen the address is in (/warehouse/inventory is the stock screen, not the scan station).
  const selected = mine
    .filter((i) => location.pathname === i.key || location.pathname.startsWith(`${i.key}/`))
    .sort((a, b) => b.key.length - a.key.length)[0]?.key;
  const duty = useMutation({
    mutationFn: (onDuty: boolean) => call(api.PATCH("/api/v1/me", { body: { onDuty } })),
    onSuccess: (s) => client.setQueryData(keys.session(), s),
    onError: (e: Error) => void message.error(e.message),
  });
  const signOut = async () => {
    await call(api.DELETE("/api/v1/session", { body: {} })).catch(() => undefined);
    client.clear();
    navigate("/sign-in", { replace: true });
  };
  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Sider
        breakpoint="lg"
        collapsedWidth={0}
        collapsed={collapsed}
        onCollapse={setCollapsed}
        theme="light"
        width={200}
        // Folded away on a phone, the menu's button sits in the header's free corner, not over the page.
        zeroWidthTriggerStyle={{ top: 12 }}
        style={{ borderInlineEnd: "1px solid rgba(5,5,5,0.06)" }}
      >
        <div style={{ padding: "16px 20px", fontWeight: 600, fontSize: 16 }}>{t("app.name")}</div>
        <nav aria-label={t("header.menu")}>
          <Menu
            mode="inline"
            selectedKeys={selected ? [selected] : []}
            defaultOpenKeys={mine.some((i) => i.group && i.key === selected) ? ["settings"] : []}
            items={items}
            onClick={(e) => {
              navigate(e.key);
              if (window.innerWidth < 992) setCollapsed(true);
            }}
            style={{ borderInlineEnd: 0 }}
          />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: "#fff",
            // On a phone the header's pieces wrap onto more lines: it grows rather than spill over the page.
            height: "auto",
            minHeight: 64,
            lineHeight: "32px",
            padding: `8px 16px 8px ${collapsed ? 56 : 16}px`,
            display: "flex",
            justifyContent: "flex-end",
            alignItems: "center",
            borderBottom: "1px solid rgba(5,5,5,0.06)",
          }}
        >
          <Space size="middle" wrap>
            <Badge status={LIVE_COLOUR[live]} text={t(`header.live.${live}`)} data-live={live} />
            <Tooltip title={t("header.onDutyHint")}>
              <Space size={4}>
                <Switch
                  size="small"
                  checked={session.user.onDuty}
                  loading={duty.isPending}
                  onChange={(v) => duty.mutate(v)}
                  aria-label={t("header.onDuty")}
                />
                <Typography.Text>
                  {session.user.onDuty ? t("header.onDuty") : t("header.offDuty")}
                </Typography.Text>
              </Space>
            </Tooltip>
            <Segmented
              size="small"
              aria-label={t("header.language")}
              value={i18n.language}
              options={LANGUAGES.map((l) => ({ value: l, label: l === "en" ? "English" : "中文" }))}
              onChange={(v) => void setLanguage(v as Language)}
            />
            <Dropdown
              menu={{
                items: [
                  { key: "out", icon: <LogoutOutlined />, label: t("header.signOut"), onClick: signOut },
                ],
              }}
            >
              <Button type="text" icon={<UserOutlined />}>
                {session.user.name} · {t(`roles.${session.user.role}`)}
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        {/* Ant Design's Content is the page's <main> landmark. */}
        <Layout.Content style={{ padding: 16 }}>
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
