import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App as AntApp, ConfigProvider, Result, Spin } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import { type ComponentType, StrictMode, useEffect, useMemo, useSyncExternalStore } from "react";
import { createRoot } from "react-dom/client";
import { useTranslation } from "react-i18next";
import { createBrowserRouter, Navigate, RouterProvider } from "react-router";
import { ConsoleLayout } from "./console/layout.tsx";
import { SCREENS, type Screen } from "./console/routes.tsx";
import SignIn from "./console/sign-in/index.tsx";
import { ApiError } from "./shared/api.ts";
import "./shared/i18n.ts";
import { keys } from "./shared/keys.ts";
import { useSession } from "./shared/session.ts";

const client: QueryClient = new QueryClient({
  defaultOptions: {
    // Live events refresh what changed; no refetching on a timer or on every focus.
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: false,
      retry: (n, e) => !(e instanceof ApiError) && n < 2,
    },
  },
  // A session that ended (expired, signed out elsewhere, user disabled) sends the person to sign in.
  queryCache: new QueryCache({
    onError: (e) => {
      if (e instanceof ApiError && e.status === 401)
        void client.invalidateQueries({ queryKey: keys.session() });
    },
  }),
});

/** A screen opens only for a role that holds its permission; others see why not. */
function Permitted({ screen, Component }: { screen: Screen; Component: ComponentType }) {
  const { data } = useSession();
  const { t } = useTranslation();
  if (!data) return null;
  if (!data.permissions.includes(screen.permission))
    return <Result status="403" title="403" subTitle={t("errors.forbidden")} />;
  return <Component />;
}

function NotFound() {
  const { t } = useTranslation();
  return <Result status="404" title="404" subTitle={t("errors.notFound")} />;
}

const router = createBrowserRouter([
  { path: "/sign-in", element: <SignIn /> },
  {
    path: "/",
    element: <ConsoleLayout />,
    hydrateFallbackElement: <Spin style={{ display: "block", marginTop: 120 }} />,
    children: [
      { index: true, element: <Navigate to="/queue" replace /> },
      ...SCREENS.map((screen) => ({
        path: screen.path,
        lazy: async () => {
          const { default: Component } = await screen.load();
          return { Component: () => <Permitted screen={screen} Component={Component} /> };
        },
      })),
      { path: "*", element: <NotFound /> },
    ],
  },
]);

/**
 * Ant Design's defaults, with secondary text dark enough to read (WCAG AA 4.5:1 on white): its stock
 * description grey (45% black) is too faint for hints and captions people rely on.
 */
const THEME = {
  token: {
    colorPrimary: "#1557c0",
    colorTextTertiary: "rgba(0, 0, 0, 0.6)",
    colorTextDescription: "rgba(0, 0, 0, 0.6)",
    // Placeholders (a select's name until chosen) and links, readable at AA too.
    colorTextPlaceholder: "rgba(0, 0, 0, 0.55)",
    colorLink: "#1557c0",
    // Error red dark enough for text and danger buttons on white (antd's #ff4d4f reads at 3.2:1).
    colorError: "#cf1322",
  },
};

/** Whether the person asked their system for less motion (WCAG 2.3.3): then dialogs and menus appear without animating. */
const lessMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const subscribeMotion = (changed: () => void) => {
  lessMotion.addEventListener("change", changed);
  return () => lessMotion.removeEventListener("change", changed);
};

function Root() {
  const { i18n } = useTranslation();
  const zh = i18n.language !== "en";
  useEffect(() => {
    dayjs.locale(zh ? "zh-cn" : "en");
  }, [zh]);
  const reduced = useSyncExternalStore(subscribeMotion, () => lessMotion.matches);
  const theme = useMemo(() => ({ token: { ...THEME.token, motion: !reduced } }), [reduced]);
  return (
    <ConfigProvider locale={zh ? zhCN : enUS} theme={theme} button={{ autoInsertSpace: false }}>
      <AntApp>
        <QueryClientProvider client={client}>
          <RouterProvider router={router} />
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
